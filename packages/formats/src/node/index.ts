export { isTemporaryName, temporaryPathFor, writeAtomic, writeDirectoryAtomic } from './atomic-files.js';
export { describeFileError, fileErrorCode, fileErrorMessage, withFilePath } from './file-errors.js';
export {
  defaultStorageDtype,
  readWeightFile,
  type WeightFile,
  type WeightFormat,
  type WriteWeightOptions,
  writeWeightFile,
} from './weight-files.js';
