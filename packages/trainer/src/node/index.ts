export {
  type Checkpoint,
  CheckpointError,
  checkpointName,
  latestCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  pruneCheckpoints,
  saveCheckpoint,
} from './checkpoint.js';
export { type RunResult, type RunTrainingOptions, resumeTraining, runTraining } from './run-training.js';
