export {
  type AdapterSweepOptions,
  type AdapterSweepPoint,
  adapterAlphaSweep,
  type TokenSet,
} from './adapter-sweep.js';
export {
  type AnalysisInput,
  analyzeStudy,
  formatDifference,
  type ModelEstimates,
  type SetSummary,
  type StudyAnalysis,
  type SweepEstimates,
} from './analysis.js';
export {
  CONTINUATION_PROMPTS,
  STUDY_PLANS,
  STUDY_STAGES,
  STUDY_STATE_VERSION,
  type StudyBase,
  type StudyEndpoint,
  type StudyPlan,
  type StudyStage,
  type StudyState,
} from './plan.js';
export { type StudyReportInput, studyReport } from './report.js';
export type {
  Continuation,
  Evaluation,
  PerplexityResult,
  SeedEvaluations,
  SetsLabels,
  SetsPredictions,
  StudyData,
  TrainableShares,
  WiseFtSeeds,
  ZeroShotResult,
} from './results.js';
