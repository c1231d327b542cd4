export {
  assertSameArchitecture,
  backboneOnly,
  type InterpolateOptions,
  interpolateStateDicts,
  isHead,
  mix,
} from './interpolate.js';
export { addLowRank, interpolateLowRank, type LowRankUpdate } from './low-rank.js';
export {
  type GreedySoupResult,
  type GreedySoupStep,
  greedySoup,
  type SoupIngredient,
  uniformSoup,
} from './soup.js';
export {
  type AlphaResult,
  chooseAlpha,
  DEFAULT_ALPHAS,
  parseAlphas,
  type SweepEvents,
  sweepAlphas,
} from './sweep.js';
export {
  centredHead,
  labelWordsHead,
  lmHeadOf,
  type VerbalizerRowMode,
  verbalizerHead,
  zeroShotClassifierState,
} from './zero-shot-head.js';
