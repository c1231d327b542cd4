export {
  CLASSIFIER_FILE,
  LABELS_FILE,
  type LoadedClassifier,
  loadSequenceClassifier,
  MissingClassifierError,
} from './load-classifier.js';
export { readMetricsJsonl } from './read-metrics.js';
export { type ShardPerplexityOptions, shardPerplexity } from './shard-perplexity.js';
