export { argmax, calibrateScores, labelProbabilities, meanLabelProbabilities } from './calibration.js';
export {
  type ClassificationMetrics,
  type ClassMetrics,
  classificationMetrics,
  confusionMatrix,
} from './classification-metrics.js';
export { type DocumentBytesOptions, documentBytes } from './document-bytes.js';
export {
  type ClassifierEvaluation,
  type ClassifierEvaluationOptions,
  classifierLogits,
  evaluateClassifier,
} from './evaluate-classifier.js';
export {
  classifierPredictor,
  evaluateIdOod,
  type IdOodEntry,
  type IdOodPredictions,
  type IdOodReport,
  type IdOodSets,
  idOodReport,
  type NamedExamples,
  type Predictor,
  predictIdOod,
  type SetPredictions,
  zeroShotPredictor,
} from './id-ood.js';
export {
  type BootstrapOptions,
  type Estimate,
  estimate,
  formatEstimate,
  majorityRate,
  type Outcomes,
  outcomes,
  pairedDifference,
  type RunOutcomes,
  singlePrediction,
} from './intervals.js';
export { type MeanPromptStateOptions, meanPromptState } from './mean-prompt-state.js';
export { type LossPoint, lossCurvePoints, type MetricsLine, parseMetricsJsonl } from './metrics-jsonl.js';
export {
  evaluatePerplexity,
  type PerplexityOptions,
  type PerplexityProgress,
  type PerplexityResult,
  textPerplexity,
} from './perplexity.js';
export {
  AG_NEWS_PROMPT,
  fillPrompt,
  genericPrompt,
  type PromptTemplate,
  promptForTask,
  SST2_PROMPT,
  TEXT_SLOT,
} from './prompt-template.js';
export { type ScoringWindow, slidingWindowCount, slidingWindows } from './sliding-windows.js';
export { type ScoredSequence, type TokenLogProbOptions, tokenLogProbs } from './token-log-probs.js';
export { type VerbalizerScoreOptions, verbalizerScores, verbalizerSequences } from './verbalizer-scores.js';
export {
  contentFreeLabelProbabilities,
  DEFAULT_CONTENT_FREE,
  evaluateZeroShot,
  type ZeroShotEvaluation,
  type ZeroShotOptions,
  type ZeroShotResult,
  zeroShotClassify,
} from './zero-shot.js';
export { promptForTaskSpec, verbalizerTokenIds, withDistinctFirstTokens } from './zero-shot-head.js';
