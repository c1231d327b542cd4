export {
  type AdapterSweepOptions,
  type AdapterSweepPoint,
  adapterAlphaSweep,
  type TokenSet,
} from './adapter-sweep.js';
export {
  CONTINUATION_PROMPTS,
  STUDY_PLANS,
  STUDY_STAGES,
  type StudyBase,
  type StudyPlan,
  type StudyStage,
  type StudyState,
} from './plan.js';
export { type StudyReportInput, studyReport } from './report.js';
export type {
  Continuation,
  Evaluation,
  PerplexityResult,
  StudyData,
  SweepResult,
  TrainableShares,
} from './results.js';
