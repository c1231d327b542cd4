// Evaluation sets named by TASKSPECs (task:path), shared by eval classify, wise-ft and soup.
import { basename, resolve } from 'node:path';
import { type ClassificationDataset, parseTaskSpec, type TaskSpec } from '@mini-llama/data';
import { loadTask } from '@mini-llama/data/node';
import { CliError } from './errors.js';

export interface EvalSet {
  name: string; // task:file, e.g. sst2:dev.tsv
  task: string; // the TASKSPEC's task: it picks the zero-shot prompt
  dataset: ClassificationDataset;
}

/** A TASKSPEC given to `flag`, its path taken from the working directory. */
export function parseSpecFlag(value: string, flag: string, cwd: string): TaskSpec {
  return withAbsolutePath(parseTaskSpecOrFail(value, flag), cwd);
}

export function parseTaskSpecOrFail(value: string, flag: string): TaskSpec {
  try {
    return parseTaskSpec(value);
  } catch (error) {
    throw new CliError(`${flag}: ${(error as Error).message}`);
  }
}

/** Brown's "path" is a split name; every other path is taken from the working directory. */
export function withAbsolutePath(spec: TaskSpec, cwd: string): TaskSpec {
  return spec.task === 'brown' ? spec : { task: spec.task, path: resolve(cwd, spec.path) };
}

/** A labelled set (the first `limit` examples when given); unlabelled files are refused. */
export async function loadSet(spec: TaskSpec, limit: number | undefined): Promise<EvalSet> {
  const dataset = await loadTask(spec);
  const name = `${spec.task}:${spec.task === 'brown' ? spec.path : basename(spec.path)}`;
  if (!dataset.labelled) {
    throw new CliError(
      `${spec.path} has no gold labels (like GLUE's test.tsv): evaluate on a labelled split, e.g. dev.tsv`,
    );
  }
  const examples = limit === undefined ? dataset.examples : dataset.examples.slice(0, limit);
  return { name, task: spec.task, dataset: { ...dataset, examples } };
}

/** Loads OOD sets and checks each has the in-domain set's number of labels. */
export async function loadOodSets(
  values: readonly string[],
  id: EvalSet,
  limit: number | undefined,
  cwd: string,
  flag = '--ood',
): Promise<EvalSet[]> {
  const sets: EvalSet[] = [];
  for (const value of values) {
    const set = await loadSet(parseSpecFlag(value, flag, cwd), limit);
    if (set.dataset.labelNames.length !== id.dataset.labelNames.length) {
      throw new CliError(
        `${flag} ${value}: ${set.dataset.labelNames.length} labels (${set.dataset.labelNames.join(', ')}), the in-domain set ${id.dataset.labelNames.length} (${id.dataset.labelNames.join(', ')})`,
      );
    }
    sets.push(set);
  }
  return sets;
}
