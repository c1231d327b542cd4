import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BackendName, probeBackends } from '@mini-llama/backends';
import {
  BENCH_MODES,
  type BenchMode,
  type BenchRow,
  type Measurement,
  measureShape,
} from '@mini-llama/bench';
import {
  addRunCToRows,
  describeMachine,
  findTorchPython,
  formatMachine,
  measureTorch,
  PeakRss,
  type TorchResult,
} from '@mini-llama/bench/node';
import { contextLength, LLAMA_PRESETS, type LlamaPresetName, presetConfig } from '@mini-llama/model';
import type { Command } from 'commander';
import { startBackend } from '../backend.js';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { nameList, positiveInteger, positiveNumber, THREADS_HELP, wasmThreads } from '../options.js';
import { exists } from '../paths.js';
import { formatTable } from './bench-table.js';

export type { BenchRow } from '@mini-llama/bench';

interface BenchFlags {
  presets: string[];
  backends?: string[];
  threads?: number;
  generateThreads: number;
  modes: string[];
  seconds: number;
  batch: number;
  seq?: number;
  json?: boolean;
  torch?: boolean;
  torchThreads?: number;
  runC?: string | false;
  torchCompile?: boolean;
  isolate: boolean;
}

/** Backends `--backends` may name. */
const MEASURABLE: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

/** The built executable beside this module (dist/bin.js); absent when running from sources. */
const BUILT_BIN = fileURLToPath(new URL('./bin.js', import.meta.url));

export function addBenchCommand(program: Command, io: CliIo): void {
  program
    .command('bench')
    .description(
      'Measure training, LoRA and generation speed and memory on preset shapes, beside PyTorch + peft on this machine.',
    )
    .option(
      '--presets <names>',
      `comma-separated presets: ${Object.keys(LLAMA_PRESETS).join(', ')}`,
      nameList('--presets'),
      ['stories260K', 'stories15M'],
    )
    .option(
      '--backends <names>',
      `comma-separated backends to measure, each in its own process: ${MEASURABLE.join(', ')} (default: every one available here but cpu, which takes minutes per stories15M step)`,
      nameList('--backends'),
    )
    .option('--threads <n>', `training: ${THREADS_HELP}`, wasmThreads)
    .option(
      '--generate-threads <n>',
      'generation: wasm threads (default 1: per-token products are too small to gain from more)',
      wasmThreads,
      1,
    )
    .option(
      '--modes <modes>',
      `comma-separated: ${BENCH_MODES.join(', ')} (lora: rank 8 on q and v)`,
      nameList('--modes'),
      ['train', 'generate'],
    )
    .option(
      '--seconds <s>',
      'time per preset and mode, after one warm-up step or generation (at least 2 steps or generations), for each yardstick too',
      positiveNumber('--seconds'),
      10,
    )
    .option('--batch <n>', 'training batch size', positiveInteger('--batch'), 8)
    .option(
      '--seq <n>',
      'training tokens per sequence (default: the context, at most 512)',
      positiveInteger('--seq'),
    )
    .option('--json', 'print the rows as a JSON array')
    .option(
      '--torch',
      'also run the PyTorch yardstick (default: on when a Python imports torch, transformers, peft)',
    )
    .option('--no-torch', 'do not run PyTorch')
    .option(
      '--torch-threads <n>',
      'PyTorch threads (default: every core)',
      positiveInteger('--torch-threads'),
    )
    .option(
      '--torch-compile',
      'training: also PyTorch with torch.compile (inductor; compiles C++ on CPU, minutes)',
    )
    .option(
      '--run-c <file>',
      "llama2.c's run.c, compiled here (-O3; -O3 -fopenmp) as the generation yardstick (default: $MINI_LLAMA_RUN_C; none: not run)",
    )
    .option('--no-run-c', 'do not run run.c')
    .option(
      '--no-isolate',
      'measure everything in this process (one thread count) instead of a fresh process per preset and mode',
    )
    .addHelpText(
      'after',
      `
Training: random tokens, one fixed batch, AdamW (lr 5e-4, β 0.9/0.95, weight decay 0.1) with clipping at 1.0; lora
trains a rank-8 adapter on q and v only. One warm-up step, then steps until --seconds have passed. Generation: one
untimed warm-up run, then runs until --seconds have passed (at least 2, so that V8's optimising tiers are what is
timed), each batch 1, greedy, min(255, context - 1) new tokens with the KV cache; decode tokens/s over all of them.
PyTorch runs @mini-llama/bench's python/torch_bench.py (transformers + peft, float32) on the same shape, batch and
length: MINI_LLAMA_PYTHON, else the repository's .venv-peft (scripts/peft-venv.sh), else python3. llama2.c's run.c
(--run-c) generates from BOS greedily on a random-weight llama2.c checkpoint of each shape, runs for --seconds:
one thread, and OpenMP on --generate-threads threads (every core when that is 1); its ratio compares ours at
equal threads. Peak RSS is the
process's, sampled around every step and token; tf.memory().numTensors is read before building the model and after
disposing it, and must be equal.`,
    )
    .action((flags: BenchFlags) => runBench(flags, io));
}

async function runBench(flags: BenchFlags, io: CliIo): Promise<void> {
  const unknown = flags.presets.find((name) => !(name in LLAMA_PRESETS));
  if (unknown) {
    throw new CliError(
      `--presets: unknown preset '${unknown}', expected some of ${Object.keys(LLAMA_PRESETS).join(', ')}`,
    );
  }
  const badMode = flags.modes.find((mode) => !BENCH_MODES.includes(mode as BenchMode));
  if (badMode) throw new CliError(`--modes: unknown mode '${badMode}', expected ${BENCH_MODES.join(', ')}`);
  const badBackend = flags.backends?.find((name) => !MEASURABLE.includes(name as BackendName));
  if (badBackend) {
    throw new CliError(
      `--backends: unknown backend '${badBackend}', expected some of ${MEASURABLE.join(', ')}`,
    );
  }
  const modes = BENCH_MODES.filter((mode) => flags.modes.includes(mode)); // training modes, then generation
  const presets = flags.presets as LlamaPresetName[];
  const backends = (flags.backends as BackendName[] | undefined) ?? (await availableBackends(io));
  const python = flags.torch === false ? null : await torchPython(io);
  // A fresh process per preset, mode and backend: the wasm heap never shrinks, so a large preset measured after
  // another one could run out of its 4 GiB; each measurement starts from the same state; training and
  // generation each get their own wasm thread count; and one backend's threads do not linger into another's.
  const isolated = flags.isolate && presets.length * modes.length * backends.length > 1;
  const bin = isolated && (await exists(BUILT_BIN)) ? BUILT_BIN : null;
  const measured: Measurement[] = [];
  const failures: string[] = [];
  const failed = (what: string, error: unknown) => {
    // Keep the other measurements' rows; the run still fails at the end.
    const message = (error as Error).message;
    const hint = /wasm|memory/i.test(message)
      ? ' (the wasm heap holds at most 4 GiB: try a smaller --batch)'
      : '';
    failures.push(`${what} failed: ${message}${hint}`);
    io.stderr.write(`${what}: failed: ${message}\n`);
  };
  for (const preset of presets) {
    for (const mode of bin ? modes : [null]) {
      for (const backend of backends) {
        const what = `${preset}${mode ? ` ${mode}` : ''} on ${backend}`;
        try {
          const rows = bin
            ? await measureInChildProcess(bin, preset, mode!, backend, flags, io)
            : await measureHere(preset, modes, backend, flags, io);
          measured.push(...rows);
        } catch (error) {
          failed(what, error);
        }
      }
    }
  }
  // One PyTorch run (and one torch.compile run) per preset and mode, shared by the rows of every backend.
  const torchRuns = new Map<string, Promise<TorchResult | null>>();
  const compiledRuns = new Map<string, Promise<TorchResult | null>>(); // torch.compile, training modes
  const rows: BenchRow[] = [];
  for (const row of measured) {
    const key = `${row.preset}/${row.mode}`;
    if (python && !torchRuns.has(key)) torchRuns.set(key, runTorch(python, row, flags, io));
    const torch = python ? await torchRuns.get(key)! : null;
    if (python && flags.torchCompile && row.mode !== 'generate' && !compiledRuns.has(key)) {
      compiledRuns.set(key, runTorch(python, row, flags, io, true));
    }
    const compiled = (await compiledRuns.get(key)) ?? null;
    rows.push({
      torchCompiledTokensPerSecond: compiled?.tokensPerSecond ?? null,
      ...row,
      torchTokensPerSecond: torch?.tokensPerSecond ?? null,
      torchPeakRssBytes: torch?.peakRssBytes ?? null,
      ratio: torch ? row.tokensPerSecond / torch.tokensPerSecond : null,
    });
  }
  // The ratios depend on the CPU's extensions (AVX-512 or not changed the tensorflow backend's 2–4x): every
  // table says which machine made it.
  await addRunC(rows, flags, io);
  const machine = formatMachine(describeMachine());
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(rows)}\n`);
    io.stderr.write(`machine: ${machine}\n`);
  } else {
    io.stdout.write(`${formatTable(rows)}machine: ${machine}\n`);
  }
  const leaks = rows
    .filter((row) => row.tensorsAfter !== row.tensorsBefore)
    .map(
      (row) =>
        `${row.preset} ${row.mode} on ${row.backend} leaked tensors: ${row.tensorsBefore} → ${row.tensorsAfter}`,
    );
  if (failures.length + leaks.length > 0) throw new Error([...failures, ...leaks].join('; '));
}

/** The default for --backends: what runs here, fastest first, but cpu (pure JavaScript, ~0.6 GFLOP/s). */
async function availableBackends(io: CliIo): Promise<BackendName[]> {
  const probes = await probeBackends();
  const chosen = probes.filter((probe) => probe.available && probe.name !== 'cpu').map((probe) => probe.name);
  const left = probes.filter((probe) => !probe.available).map((probe) => `${probe.name} (${probe.reason})`);
  io.stderr.write(
    `backends: ${chosen.join(', ')}${left.length > 0 ? `; not available: ${left.join(', ')}` : ''}; cpu only with --backends cpu\n`,
  );
  return chosen;
}

/** The training sequence length: --seq, or the preset's context up to 512. */
function seqLenOf(preset: LlamaPresetName, flags: BenchFlags): number {
  return flags.seq ?? Math.min(512, contextLength(presetConfig(preset)));
}

/** Measures the preset's modes on `backend`, started in this process. */
async function measureHere(
  preset: LlamaPresetName,
  modes: readonly BenchMode[],
  backend: BackendName,
  flags: BenchFlags,
  io: CliIo,
): Promise<Measurement[]> {
  const threads = modes.length === 1 && modes[0] === 'generate' ? flags.generateThreads : flags.threads;
  const choice = await startBackend(backend, io, { threads });
  const memory = new PeakRss();
  try {
    return await measureShape({
      name: preset,
      config: presetConfig(preset),
      modes,
      batch: flags.batch,
      seqLen: seqLenOf(preset, flags),
      seconds: flags.seconds,
      backend: { name: choice.name, threads: choice.threads ?? null },
      memory,
      onMessage: (line) => io.stderr.write(`${line}\n`),
    });
  } finally {
    memory.stop();
  }
}

/** Runs `bench` for one preset, mode and backend in a child Node process and returns its rows. */
async function measureInChildProcess(
  bin: string,
  preset: LlamaPresetName,
  mode: BenchMode,
  backend: BackendName,
  flags: BenchFlags,
  io: CliIo,
): Promise<Measurement[]> {
  const threads = mode === 'generate' ? flags.generateThreads : flags.threads;
  const args = [bin, 'bench', '--presets', preset, '--backends', backend, '--modes', mode];
  args.push(
    '--seconds',
    String(flags.seconds),
    '--batch',
    String(flags.batch),
    '--json',
    '--no-torch',
    '--no-run-c',
  );
  if (flags.seq !== undefined) args.push('--seq', String(flags.seq));
  if (threads !== undefined) args.push('--threads', String(threads));
  const child = spawn(process.execPath, args, { cwd: io.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let lastError = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    io.stderr.write(text);
    lastError = text.trim().split('\n').at(-1) ?? lastError;
  });
  const code = await new Promise<number | null>((done) => child.on('close', done));
  if (code !== 0) throw new Error(lastError.replace(/^mini-llama bench: /, '') || `exited with code ${code}`);
  return (JSON.parse(stdout) as BenchRow[]).map(
    ({
      torchTokensPerSecond: _,
      torchPeakRssBytes: __,
      ratio: ___,
      torchCompiledTokensPerSecond: ____,
      ...row
    }) => row,
  );
}

/** The Python that runs the yardstick, or null (said why on stderr). */
async function torchPython(io: CliIo): Promise<string | null> {
  const found = await findTorchPython(io.env, io.cwd);
  if (found.python === null) io.stderr.write(`torch: skipped, ${found.reason}\n`);
  return found.python;
}

/** PyTorch's measurement of `row`'s shape and mode, or null (said why) when it failed. */
async function runTorch(
  python: string,
  row: Measurement,
  flags: BenchFlags,
  io: CliIo,
  compile = false,
): Promise<TorchResult | null> {
  io.stderr.write(`${row.preset}: PyTorch ${row.mode}${compile ? ' (torch.compile)' : ''}…\n`);
  try {
    return await measureTorch(python, {
      config: presetConfig(row.preset),
      mode: row.mode,
      batch: row.batch,
      seqLen: row.seqLen,
      seconds: flags.seconds,
      newTokens: row.newTokens ?? row.tokens,
      threads: flags.torchThreads ?? cpus().length,
      compile,
    });
  } catch (error) {
    io.stderr.write(`torch: ${(error as Error).message}\n`);
    return null;
  }
}

/** run.c's tokens per second beside each generation row, when --run-c (or MINI_LLAMA_RUN_C) names its source. */
async function addRunC(rows: BenchRow[], flags: BenchFlags, io: CliIo): Promise<void> {
  if (flags.runC === false || !rows.some((row) => row.mode === 'generate')) return;
  const source = flags.runC ?? io.env['MINI_LLAMA_RUN_C'];
  if (!source) {
    io.stderr.write(
      "run.c: skipped, give --run-c PATH (llama2.c's run.c, e.g. ../shared/peers/llama2c/run.c)\n",
    );
    return;
  }
  await addRunCToRows(rows, {
    source: resolve(io.cwd, source),
    openmpThreads: flags.generateThreads > 1 ? flags.generateThreads : cpus().length,
    seconds: flags.seconds,
    onMessage: (line) => io.stderr.write(`${line}\n`),
  });
}
