import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { latestCheckpoint } from '@mini-llama/trainer/node';
import { STUDY_STATE_VERSION, type StudyEndpoint, type StudyState } from '../plan.js';

/** The files and directories a study writes in its run directory, by what they hold. */
export const STUDY_FILES = {
  data: 'data',
  tokenizer: 'tokenizer',
  pretrain: 'pretrain',
  zeroShot: 'zero-shot',
  probe: 'linear-probe',
  full: 'finetune-full',
  lora: 'finetune-lora',
  wiseFt: 'wise-ft',
  stability: 'stability',
  state: 'stages.json',
  reportJson: 'report.json',
  reportHtml: 'report.html',
} as const;

/**
 * The study's state from its stages.json (empty when there is none, or with `fresh`, which also removes what
 * an earlier study left in `directory`, its stages.json there — its checkpoints would otherwise be resumed). Refuses a state another
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
  // only where a study ran (its stages.json is there): a directory of anything else keeps its `data` folder
  if (fresh && (await stat(path).catch(() => null))) {
    for (const name of Object.values(STUDY_FILES))
      await rm(join(directory, name), { recursive: true, force: true });
  }
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
