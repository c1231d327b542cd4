export {
  type SoupModelsOptions,
  type SoupSummary,
  soupModels,
} from './soup-models.js';
export {
  type AlphaLine,
  type AlphaReport,
  describeEnds,
  type SaveInterpolatedOptions,
  saveInterpolated,
  type WiseFtSummary,
  type WiseFtSweepOptions,
  type WiseFtSweepResult,
  wiseFtSweep,
} from './sweep-models.js';
export {
  readWeightModel,
  type WeightModel,
  type WiseFtEnds,
  type WiseFtSources,
  wiseFtEnds,
} from './weight-space.js';
export {
  saveZeroShotClassifier,
  ZERO_SHOT_RECORD_FILE,
  type ZeroShotClassifierOptions,
  type ZeroShotHeadRecord,
} from './zero-shot-classifier.js';
