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
