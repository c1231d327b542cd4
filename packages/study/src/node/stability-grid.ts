// The study's stability stage: full fine-tuning and LoRA over the plan's learning-rate grid × seeds, at the
// budget of the study's own fine-tunes, with the validation accuracy logged at each evaluation.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseMetricsJsonl } from '@mini-llama/eval';
import { finetune, type RunEvents } from '@mini-llama/trainer/node';
import type { StudyPlan } from '../plan.js';
import type { GridRun } from '../stability.js';
import { studyFinetuneConfig } from './training-configs.js';

export interface StabilityGridOptions {
  plan: StudyPlan;
  /** The classifier fine-tuned (absolute path): the zero-shot classifier, whose head each run starts from. */
  base: string;
  /** The data stage's directory: train.tsv, val.tsv. */
  data: string;
  maxLength: number;
  seeds: readonly number[];
  steps: number;
  backend: string;
  /** Where the runs go: DIR/full-lr0.001/seed-0, … */
  directory: string;
  signal?: AbortSignal;
  /** Runs one part of the stage once, keeping its result (runStudy's resumable parts). */
  part: (key: string, work: () => Promise<unknown>) => Promise<unknown>;
  say: (message: string) => void;
  training?: RunEvents;
  /** Thrown when the signal stopped a run (its checkpoint written). */
  interrupted: () => Error;
}

/** Every run of the grid, fine-tuned (or found finished) and read back from its metrics.jsonl. */
export async function runStabilityGrid(options: StabilityGridOptions): Promise<GridRun[]> {
  const { plan, seeds, steps } = options;
  const runs: GridRun[] = [];
  for (const method of ['full', 'lora'] as const) {
    for (const lr of plan.lrGrid[method]) {
      for (const seed of seeds) {
        const key = `stability/${method}-lr${lr}/seed-${seed}`;
        runs.push(
          (await options.part(key, async () => {
            const directory = join(options.directory, `${method}-lr${lr}`, `seed-${seed}`);
            options.say(`demo: stability grid, ${method} at lr ${lr}, seed ${seed}`);
            const config = studyFinetuneConfig({
              plan,
              base: options.base,
              train: 'all',
              data: options.data,
              maxLength: options.maxLength,
              seed,
              lr,
              lora: method === 'lora',
              steps,
              backend: options.backend,
            });
            config.training.evalEvery = Math.max(1, Math.floor(steps / 8));
            const result = await finetune(
              {
                out: directory,
                signal: options.signal,
                config: { ...config, finetune: { ...config.finetune, trackAccuracy: true } },
              },
              options.training,
            );
            if (result.stopped) throw options.interrupted();
            const path = join(directory, 'metrics.jsonl');
            const evaluations = parseMetricsJsonl(await readFile(path, 'utf8'), path).flatMap((line) =>
              line.valLoss !== undefined && line.valAccuracy !== undefined
                ? [{ step: line.step, valLoss: line.valLoss, valAccuracy: line.valAccuracy }]
                : [],
            );
            return { method, lr, seed, evaluations } satisfies GridRun;
          })) as GridRun,
        );
      }
    }
  }
  return runs;
}
