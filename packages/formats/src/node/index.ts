export { isTemporaryName, temporaryPathFor, writeAtomic, writeDirectoryAtomic } from './atomic-files.js';
export { describeFileError, fileErrorCode, fileErrorMessage, withFilePath } from './file-errors.js';
export {
  downloadModel,
  type HubDownloadOptions,
  type HubDownloadProgress,
  resolveModelReference,
} from './hf-hub.js';
export {
  HubError,
  type HubReference,
  type HubSettings,
  hubSettings,
  parseHubReference,
  repoCacheFolder,
} from './hf-hub-settings.js';
export {
  defaultStorageDtype,
  openWeightFile,
  type ReadWeightOptions,
  readWeightFile,
  type WeightFile,
  type WeightFormat,
  type WeightStream,
  type WriteWeightOptions,
  writeWeightFile,
} from './weight-files.js';
