export { continuations } from './continuations.js';
export { runStudy } from './run-study.js';
export { type StudyTask, writeStudyData } from './study-data.js';
export { type StudyEvents, StudyInterrupted, type StudyOptions, type StudyResult } from './study-options.js';
export { trainableShares } from './trainable-shares.js';
