export { AG_NEWS_LABEL_WORDS, AG_NEWS_LABELS, parseAgNews } from './ag-news.js';
export { untagBrown, untagBrownSentences } from './brown-corpus.js';
export {
  BROWN_GENRES,
  BROWN_TOPIC_LABEL_WORDS,
  BROWN_TOPIC_LABELS,
  BROWN_TOPIC_SPLITS,
  type BrownGenre,
  type BrownTopicSplit,
  brownGenre,
  brownTopicSplit,
  chunkSentences,
} from './brown-topics.js';
export {
  type ClassificationBatchOptions,
  classificationBatches,
  fillTemplate,
  TEXT_SLOT,
} from './classification-batches.js';
export {
  type ClassificationDataset,
  type ClassificationExample,
  nonEmptyDataset,
  type RawLabel,
  resolveLabels,
  UNLABELLED,
} from './classification-dataset.js';
export { DataFormatError } from './data-format-error.js';
export { type DelimitedOptions, type DelimitedRow, parseDelimited } from './delimited-rows.js';
export { assignSplit, type DocumentSplitRule, documentHash, type SplitName } from './document-split.js';
export { ExampleBatches, type ExampleCursor } from './example-batches.js';
export { type JsonlRecord, parseJsonl, parseJsonlLine } from './jsonl.js';
export { parseJsonlClassification } from './jsonl-classification.js';
export { parseLabelMapping, parseMinllama } from './minllama.js';
export { encodeDocument, packDocuments } from './pack-documents.js';
export { type PaddedBatch, type PadOptions, padSequences } from './pad-sequences.js';
export { hfClassLabelNames, parseParquetClassification } from './parquet-classification.js';
export {
  DocumentLineReader,
  type DocumentParseOptions,
  inferPretrainingFormat,
  PRETRAINING_FORMATS,
  type PretrainingFormat,
  parseDocuments,
} from './pretraining-documents.js';
export { type PromptCompletion, parsePromptCompletions, promptCompletionBatch } from './prompt-completion.js';
export {
  bytesPerToken,
  checkManifestMatchesModel,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  parseShardManifest,
  type ShardInfo,
  type ShardManifest,
  type TokenDtype,
  tokenDtypeFor,
} from './shard-manifest.js';
export { balancedSample, combineSeeds, permutation, seededRandom, shuffle } from './shuffle.js';
export { parseSst2, SENTIMENT_LABEL_WORDS, SST2_LABELS } from './sst2.js';
export { type ColumnOptions, parseTableClassification, type TableOptions } from './table-classification.js';
export {
  CLASSIFICATION_TASKS,
  type ClassificationTask,
  formatTaskSpec,
  parseTaskSpec,
  type TaskSpec,
} from './task-spec.js';
export { END_OF_TEXT, splitTinyStories, TinyStoriesSplitter } from './tinystories.js';
export {
  type ClassificationBatch,
  countedTargets,
  IGNORE_INDEX,
  type LanguageModelBatch,
  type TokenBatch,
} from './token-batch.js';
export { InMemoryTokenSource, type TokenSource } from './token-source.js';
export { parseUciSentiment, UCI_SENTIMENT_LABELS } from './uci-sentiment.js';
export { checkTokenizerMatchesModel, VocabularyMismatchError } from './vocabulary-check.js';
export {
  type WindowCursor,
  WindowLoader,
  type WindowLoaderOptions,
  type WindowOrder,
  windowCount,
} from './window-loader.js';
