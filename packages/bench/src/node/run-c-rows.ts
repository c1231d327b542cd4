// run.c beside the bench's generation rows: built once each way, measured per shape for as long as ours (its
// runs' tokens over their time, as ours), and compared with ours at equal threads.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LlamaPresetName, presetConfig } from '@mini-llama/model';
import type { BenchRow } from '../bench-row.js';
import { buildRunC, measureRunC, type RunCBuild, writeRunCInputs } from './run-c-yardstick.js';

export interface RunCRowsOptions {
  /** run.c's source (absolute). */
  source: string;
  /** OpenMP threads for the parallel build (default: every core). */
  openmpThreads?: number;
  /** Seconds of runs per shape and build (at least two runs; default 0: two runs). */
  seconds?: number;
  onMessage?: (line: string) => void;
}

/** The threads a row of ours ran on: wasm its count, tensorflow every core, cpu one; null for a GPU. */
export function rowThreads(row: Pick<BenchRow, 'backend' | 'threads'>, cores = cpus().length): number | null {
  if (row.threads !== null) return row.threads;
  return row.backend === 'tensorflow' ? cores : row.backend === 'cpu' ? 1 : null;
}

/**
 * Sets `runC` on every generation row: run.c's tokens/s on one thread and with OpenMP, and ours ÷ run.c at
 * equal threads (null when neither build ran on as many). A shape run.c cannot take leaves its rows' numbers
 * null and says why through `onMessage`; a source that does not compile is an error.
 */
export async function addRunCToRows(rows: BenchRow[], options: RunCRowsOptions): Promise<void> {
  const generation = rows.filter((row) => row.mode === 'generate');
  if (generation.length === 0) return;
  const openmpThreads = options.openmpThreads ?? cpus().length;
  const say = options.onMessage ?? (() => {});
  const directory = await mkdtemp(join(tmpdir(), 'mini-llama-run-c-'));
  try {
    const builds = {
      single: await buildRunC(options.source, directory, 'single'),
      openmp: await buildRunC(options.source, directory, 'openmp'),
    };
    const measured = new Map<string, { single: number | null; openmp: number | null }>();
    for (const row of generation) {
      if (!measured.has(row.preset)) {
        say(`${row.preset}: run.c generate…`);
        try {
          const inputs = await writeRunCInputs(presetConfig(row.preset as LlamaPresetName), directory);
          const newTokens = row.newTokens ?? row.tokens;
          const at = (build: RunCBuild, threads: number) =>
            timeRunC(builds[build], inputs, { newTokens, threads, seconds: options.seconds ?? 0 });
          measured.set(row.preset, {
            single: await at('single', 1),
            openmp: await at('openmp', openmpThreads),
          });
        } catch (error) {
          say(`run.c: ${row.preset}: ${(error as Error).message}`);
          measured.set(row.preset, { single: null, openmp: null });
        }
      }
      const { single, openmp } = measured.get(row.preset)!;
      const ours = rowThreads(row);
      const equal = ours === 1 ? single : ours === openmpThreads ? openmp : null;
      row.runC = { single, openmp, openmpThreads, ratio: equal ? row.tokensPerSecond / equal : null };
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** run.c run for `seconds` (at least twice): its runs' tokens over their time (each run reports its tokens/s). */
async function timeRunC(
  executable: string,
  inputs: { checkpoint: string; tokenizer: string },
  { newTokens, threads, seconds }: { newTokens: number; threads: number; seconds: number },
): Promise<number> {
  let tokens = 0;
  let elapsed = 0;
  const started = performance.now();
  for (let runs = 0; runs < 2 || performance.now() - started < seconds * 1000; runs++) {
    const { tokensPerSecond } = await measureRunC(executable, inputs, { newTokens, threads });
    tokens += newTokens;
    elapsed += newTokens / tokensPerSecond;
  }
  return tokens / elapsed;
}
