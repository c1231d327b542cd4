export {
  type ClassificationJson,
  type ClassificationRun,
  type ClassifySetsOptions,
  classificationJson,
  classificationReportSections,
  classifySets,
  matchLabels,
  type SetResult,
  type ZeroShotSettings,
} from './classify-sets.js';
export { type DataPerplexity, type DataPerplexityOptions, dataPerplexity } from './data-perplexity.js';
export { type LoadedClassifierModel, loadClassifierModel, merged } from './load-adapted-classifier.js';
export {
  CLASSIFIER_FILE,
  type ClassifierLabels,
  LABELS_FILE,
  type LoadedClassifier,
  loadSequenceClassifier,
  MissingClassifierError,
  readClassifierHead,
  readClassifierLabels,
  type SavedClassifierHead,
  saveClassifierHead,
} from './load-classifier.js';
export { readMetricsJsonl } from './read-metrics.js';
export { type ShardPerplexityOptions, shardPerplexity } from './shard-perplexity.js';
