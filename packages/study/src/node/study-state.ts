import { readFile, stat } from 'node:fs/promises';
import { latestCheckpoint } from '@mini-llama/trainer/node';
import { STUDY_STATE_VERSION, type StudyEndpoint, type StudyState } from '../plan.js';

/**
 * The study's state from its stages.json (empty when there is none, or with `fresh`). Refuses a state another
 * version of the study wrote, or one of another base model: mixing them would report one study's stages as
 * another's.
 */
export async function openStudyState(
  path: string,
  {
    fresh,
    baseName,
    endpoint,
    directory,
  }: { fresh: boolean; baseName: string | null; endpoint: StudyEndpoint; directory: string },
): Promise<StudyState> {
  const text = fresh ? null : await readFile(path, 'utf8').catch(() => null);
  const state: StudyState = text === null ? { done: {} } : (JSON.parse(text) as StudyState);
  const started = Object.keys(state.done).length > 0;
  if (started && (state.version ?? 1) !== STUDY_STATE_VERSION) {
    throw new Error(
      `${path} was written by another version of the study (layout ${state.version ?? 1}, this one reads ${STUDY_STATE_VERSION}): start it over with --fresh, or use another --name`,
    );
  }
  if (started && state.base !== undefined && (state.base ?? null) !== baseName) {
    throw new Error(
      `${directory} holds a study of ${state.base ? `the base ${state.base}` : 'a model pretrained here'}, not of ${baseName ? `the base ${baseName}` : 'one pretrained here'}: start it over with --fresh, or use another --name`,
    );
  }
  if (started && (state.endpoint ?? 'zero-shot') !== endpoint) {
    throw new Error(
      `${directory} holds a study from the ${state.endpoint ?? 'zero-shot'} endpoint, not the ${endpoint} one: start it over with --fresh, or use another --name`,
    );
  }
  state.version = STUDY_STATE_VERSION;
  state.base = baseName;
  state.endpoint = endpoint;
  return state;
}

/** Whether a training run's directory holds a checkpoint to resume from. */
export async function hasCheckpoint(directory: string): Promise<boolean> {
  return (await stat(directory).catch(() => null)) !== null && (await latestCheckpoint(directory)) !== null;
}
