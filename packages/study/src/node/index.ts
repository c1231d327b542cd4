export { continuations } from './continuations.js';
export {
  runStudy,
  type StudyEvents,
  StudyInterrupted,
  type StudyOptions,
  type StudyResult,
} from './run-study.js';
export { type StudyTask, writeStudyData } from './study-data.js';
export { trainableShares } from './trainable-shares.js';
