export {
  type BrownSample,
  loadBrownCorpus,
  loadBrownSamples,
  loadBrownTopics,
} from './brown-corpus-files.js';
export {
  CACHE_MANIFEST,
  type CachedDataset,
  type CachedFile,
  ChecksumMismatchError,
  DownloadError,
  type GetDatasetOptions,
  getDataset,
  type VerifiedFile,
} from './download-dataset.js';
export { type EvalSet, loadOodSets, loadSet, parseTaskSpecAt, withAbsolutePath } from './eval-sets.js';
export {
  DEFAULT_HUB_URL,
  defaultDatasetCache,
  HUB_DATASET_NAMES,
  HUB_DATASETS,
  type HubDataset,
  type HubDatasetFile,
  type HubDatasetName,
  hubFileUrl,
} from './hub-datasets.js';
export { loadTask, minllamaLabelNames } from './load-task.js';
export {
  DEFAULT_SHARD_TOKENS,
  type PrepareCorpusOptions,
  prepareCorpus,
  TEXT_PASSAGE_TOKENS,
} from './prepare-corpus.js';
export { detectPretrainingFormat, type ReadDocumentsOptions, readDocuments } from './read-documents.js';
export {
  type GetReferenceDataOptions,
  getReferenceData,
  type ReferenceData,
  referenceDataDirectory,
} from './reference-data.js';
export {
  DEFAULT_GITHUB_RAW_URL,
  REFERENCE_SET_NAMES,
  REFERENCE_SETS,
  type ReferenceFile,
  type ReferenceSet,
  type ReferenceSetName,
  referenceFileUrl,
} from './reference-sets.js';
export { ShardWriter, type ShardWriterOptions } from './shard-writer.js';
export { type OpenTokenShardsOptions, ShardedTokenSource } from './sharded-token-source.js';
export { decodeUtf8, INVALID_UTF8_WARNING, utf8Chunks } from './utf8-text.js';
