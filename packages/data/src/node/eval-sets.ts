// Evaluation sets named by TASKSPECs (task:path): what classification evaluation, WiSE-FT and soups score on.
import { basename, resolve } from 'node:path';
import type { ClassificationDataset } from '../classification-dataset.js';
import { parseTaskSpec, type TaskSpec } from '../task-spec.js';
import { loadTask } from './load-task.js';

export interface EvalSet {
  name: string; // task:file, e.g. sst2:dev.tsv
  task: string; // the TASKSPEC's task: it picks the zero-shot prompt
  dataset: ClassificationDataset;
}

/**
 * A TASKSPEC, its path taken from `cwd`. `what` names where it came from (a flag, a field) in the error a
 * malformed spec gets.
 */
export function parseTaskSpecAt(value: string, cwd: string, what = 'TASKSPEC'): TaskSpec {
  let spec: TaskSpec;
  try {
    spec = parseTaskSpec(value);
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message}`);
  }
  return withAbsolutePath(spec, cwd);
}

/** Brown's "path" is a split name; every other path is taken from the working directory. */
export function withAbsolutePath(spec: TaskSpec, cwd: string): TaskSpec {
  return spec.task === 'brown' ? spec : { ...spec, path: resolve(cwd, spec.path) };
}

/** A labelled set (the first `limit` examples when given); unlabelled files are refused. */
export async function loadSet(spec: TaskSpec, limit: number | undefined): Promise<EvalSet> {
  const dataset = await loadTask(spec);
  const name = `${spec.task}:${spec.task === 'brown' ? spec.path : basename(spec.path)}`;
  if (!dataset.labelled) {
    throw new Error(
      `${spec.path} has no gold labels (like GLUE's test.tsv): evaluate on a labelled split, e.g. dev.tsv`,
    );
  }
  const examples = limit === undefined ? dataset.examples : dataset.examples.slice(0, limit);
  return { name, task: spec.task, dataset: { ...dataset, examples } };
}

/**
 * Loads out-of-domain sets (TASKSPECs taken from `cwd`) and checks each has the in-domain set's number of
 * labels; `what` names them in errors.
 */
export async function loadOodSets(
  values: readonly string[],
  id: EvalSet,
  limit: number | undefined,
  cwd: string,
  what = '--ood',
): Promise<EvalSet[]> {
  const sets: EvalSet[] = [];
  for (const value of values) {
    const set = await loadSet(parseTaskSpecAt(value, cwd, what), limit);
    if (set.dataset.labelNames.length !== id.dataset.labelNames.length) {
      throw new Error(
        `${what} ${value}: ${set.dataset.labelNames.length} labels (${set.dataset.labelNames.join(', ')}), the in-domain set ${id.dataset.labelNames.length} (${id.dataset.labelNames.join(', ')})`,
      );
    }
    sets.push(set);
  }
  return sets;
}
