import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type BackendName, probeBackends } from '@mini-llama/backends';
import {
  generate,
  LLAMA_PRESETS,
  LlamaModel,
  type LlamaPresetName,
  presetConfig,
  Random,
} from '@mini-llama/model';
import { Trainer } from '@mini-llama/trainer';
import * as tf from '@tensorflow/tfjs-core';
import type { Command } from 'commander';
import { startBackend } from '../backend.js';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { nameList, positiveInteger, positiveNumber, THREADS_HELP, wasmThreads } from '../options.js';
import { exists, formatBytes } from '../paths.js';
import { measureTorch, torchPeerToRun } from '../torch-peer.js';
import { randomTokens } from '../training.js';

interface BenchFlags {
  presets: string[];
  backends?: string[];
  threads?: number;
  generateThreads: number;
  modes: string[];
  seconds: number;
  batch: number;
  json?: boolean;
  torch?: boolean;
  torchScript?: string;
  isolate: boolean;
}

export interface BenchRow {
  preset: string;
  mode: 'train' | 'generate';
  backend: string;
  /** wasm's thread count; null for other backends. */
  threads: number | null;
  /** Train: batch × full context; generate: batch 1 and the number of new tokens. */
  batch: number;
  tokens: number;
  tokensPerSecond: number;
  torchTokensPerSecond: number | null;
  /** ours / torch */
  ratio: number | null;
  peakRssBytes: number;
  tensorsBefore: number;
  tensorsAfter: number;
}

// torch_llama.py's training step: AdamW (lr 5e-4, β 0.9/0.95, weight decay 0.1 on matrices), clipping at 1.0.
const TRAINER = {
  batchSize: 1,
  optimizer: { beta1: 0.9, beta2: 0.95, weightDecay: 0.1 },
  schedule: { name: 'constant', learningRate: 5e-4 },
  clip: 1,
} as const;

export function addBenchCommand(program: Command, io: CliIo): void {
  program
    .command('bench')
    .description(
      'Measure training and generation speed on llama2.c preset shapes, optionally against PyTorch.',
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
    .option('--modes <modes>', 'comma-separated: train, generate', nameList('--modes'), ['train', 'generate'])
    .option(
      '--seconds <s>',
      'training time per preset, after one warm-up step (at least 2 steps)',
      positiveNumber('--seconds'),
      10,
    )
    .option(
      '--batch <n>',
      'training batch size (sequences of the full context length)',
      positiveInteger('--batch'),
      8,
    )
    .option('--json', 'print the rows as a JSON array')
    .option('--torch', 'also run the PyTorch yardstick (default: on when python3 can import torch)')
    .option('--no-torch', 'do not run PyTorch')
    .option('--torch-script <path>', 'torch_llama.py (default: <repo>/../shared/peers/torch_llama.py)')
    .option(
      '--no-isolate',
      'measure everything in this process (one thread count) instead of a fresh process per preset and mode',
    )
    .addHelpText(
      'after',
      `
Training: random tokens, batch B at the full context, AdamW with the fused head + loss and clipping at 1.0
(as torch_llama.py); one warm-up step, then steps until --seconds have passed. Generation: one untimed warm-up run, then batch 1, greedy,
min(255, context - 1) new tokens with the KV cache; decode tokens/s. Peak RSS is sampled around every step and token; tf.memory().numTensors is read
before building the model and after disposing it, and must be equal.`,
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
  const badMode = flags.modes.find((mode) => mode !== 'train' && mode !== 'generate');
  if (badMode) throw new CliError(`--modes: unknown mode '${badMode}', expected train, generate`);
  const badBackend = flags.backends?.find((name) => !MEASURABLE.includes(name as BackendName));
  if (badBackend) {
    throw new CliError(
      `--backends: unknown backend '${badBackend}', expected some of ${MEASURABLE.join(', ')}`,
    );
  }
  const modes = flags.modes as BenchMode[];
  const backends = (flags.backends as BackendName[] | undefined) ?? (await availableBackends(io));
  const torchPeer = await torchPeerToRun(flags, io);
  // A fresh process per preset, mode and backend: the wasm heap never shrinks, so a large preset measured after
  // another one could run out of its 4 GiB; each measurement starts from the same state; training and
  // generation each get their own wasm thread count; and one backend's threads do not linger into another's.
  const measurements = flags.presets.length * modes.length * backends.length;
  const isolatedBin = flags.isolate && measurements > 1 && (await exists(BUILT_BIN)) ? BUILT_BIN : null;
  const measured: { order: number; row: OwnRow }[] = []; // order: preset, then mode, then backend
  const orderOf = (preset: number, mode: number, backend: number) =>
    (preset * modes.length + mode) * backends.length + backend;
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
  if (isolatedBin) {
    for (const [p, preset] of (flags.presets as LlamaPresetName[]).entries()) {
      for (const [m, mode] of modes.entries()) {
        for (const [b, backend] of backends.entries()) {
          try {
            const rows = await measureInChildProcess(isolatedBin, preset, mode, backend, flags, io);
            measured.push(...rows.map((row) => ({ order: orderOf(p, m, b), row })));
          } catch (error) {
            failed(`${preset} ${mode} on ${backend}`, error);
          }
        }
      }
    }
  } else {
    const threads = modes.length === 1 && modes[0] === 'generate' ? flags.generateThreads : flags.threads;
    for (const [b, backend] of backends.entries()) {
      let choice: Awaited<ReturnType<typeof startBackend>>;
      try {
        choice = await startBackend(backend, io, { threads });
      } catch (error) {
        failed(backend, error);
        continue;
      }
      for (const [p, preset] of (flags.presets as LlamaPresetName[]).entries()) {
        try {
          const rows = await measurePreset(preset, modes, flags, io, {
            name: choice.name,
            threads: choice.threads ?? null,
          });
          measured.push(...rows.map((row) => ({ order: orderOf(p, modes.indexOf(row.mode), b), row })));
        } catch (error) {
          failed(`${preset} on ${backend}`, error);
        }
      }
    }
  }
  // One PyTorch run per preset and mode, shared by the rows of every backend.
  const torchRuns = new Map<string, Promise<number | null>>();
  const rows: BenchRow[] = [];
  for (const { row } of measured.sort((x, y) => x.order - y.order)) {
    const key = `${row.preset}/${row.mode}`;
    if (torchPeer && !torchRuns.has(key)) {
      torchRuns.set(key, measureTorch(torchPeer, row.preset, row, flags, io));
    }
    const torch = torchPeer ? await torchRuns.get(key)! : null;
    rows.push({ ...row, torchTokensPerSecond: torch, ratio: torch ? row.tokensPerSecond / torch : null });
  }
  io.stdout.write(flags.json ? `${JSON.stringify(rows)}\n` : formatTable(rows));
  const leaks = rows
    .filter((row) => row.tensorsAfter !== row.tensorsBefore)
    .map(
      (row) =>
        `${row.preset} ${row.mode} on ${row.backend} leaked tensors: ${row.tensorsBefore} → ${row.tensorsAfter}`,
    );
  if (failures.length + leaks.length > 0) throw new Error([...failures, ...leaks].join('; '));
}

/** Backends `--backends` may name. */
const MEASURABLE: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

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

type BenchMode = BenchRow['mode'];
type OwnRow = Omit<BenchRow, 'torchTokensPerSecond' | 'ratio'>;

/** The built executable beside this module (dist/bin.js); absent when running from sources. */
const BUILT_BIN = fileURLToPath(new URL('./bin.js', import.meta.url));

/** Runs `bench` for one preset, mode and backend in a child Node process and returns its row. */
async function measureInChildProcess(
  bin: string,
  preset: LlamaPresetName,
  mode: BenchMode,
  backend: BackendName,
  flags: BenchFlags,
  io: CliIo,
): Promise<OwnRow[]> {
  const threads = mode === 'train' ? flags.threads : flags.generateThreads;
  const args = [bin, 'bench', '--presets', preset, '--backends', backend, '--seconds', String(flags.seconds)];
  args.push('--batch', String(flags.batch), '--json', '--no-torch');
  args.push('--modes', mode);
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
  return (JSON.parse(stdout) as BenchRow[]).map(({ torchTokensPerSecond: _, ratio: __, ...row }) => row);
}

async function measurePreset(
  preset: LlamaPresetName,
  modes: BenchMode[],
  flags: BenchFlags,
  io: CliIo,
  backend: { name: string; threads: number | null },
): Promise<OwnRow[]> {
  const rss = new PeakRss();
  const tensorsBefore = tf.memory().numTensors;
  const config = presetConfig(preset);
  const model = new LlamaModel(config, { seed: 0 });
  const trainer = new Trainer(model, { ...TRAINER, steps: Number.MAX_SAFE_INTEGER, batchSize: flags.batch });
  let disposed = false;
  const disposeAll = () => {
    if (disposed) return;
    disposed = true;
    trainer.dispose();
    model.dispose();
  };
  try {
    const measured: Omit<OwnRow, 'tensorsAfter'>[] = [];
    const shared = { preset, backend: backend.name, threads: backend.threads, tensorsBefore };
    if (modes.includes('train')) {
      const B = flags.batch;
      const T = config.maxSeqLen;
      io.stderr.write(`${preset}: training, batch ${B} × ${T} tokens, ${flags.seconds} s…\n`);
      const batch = randomTokens(config.vocabSize, B, T, new Random(0));
      const source = { nextBatch: () => batch, getCursor: () => null, setCursor: () => {} }; // the same batch, as torch_llama.py
      await trainer.trainStep(source); // warm-up: kernels compiled, optimizer state allocated
      rss.sample();
      const started = performance.now();
      let steps = 0;
      while (steps < 2 || performance.now() - started < flags.seconds * 1000) {
        await trainer.trainStep(source);
        rss.sample();
        steps++;
      }
      const trainSeconds = (performance.now() - started) / 1000;
      measured.push({
        ...shared,
        mode: 'train',
        batch: B,
        tokens: steps * B * T,
        tokensPerSecond: (steps * B * T) / trainSeconds,
        peakRssBytes: rss.take(),
      });
    }
    if (modes.includes('generate')) {
      const newTokens = Math.min(255, config.maxSeqLen - 1);
      io.stderr.write(`${preset}: generating ${newTokens} tokens (greedy, KV cache)…\n`);
      // warm-up (torch_llama.py runs one forward first): kernels set up, JavaScript compiled
      await generate(model, [[1]], { maxNewTokens: newTokens, temperature: 0 });
      const result = await generate(model, [[1]], {
        maxNewTokens: newTokens,
        temperature: 0,
        onToken: () => rss.sample(),
      });
      const generated = result.tokens[0]!.length;
      measured.push({
        ...shared,
        mode: 'generate',
        batch: 1,
        tokens: generated,
        tokensPerSecond: generated / (result.decodeMs / 1000),
        peakRssBytes: rss.take(),
      });
    }
    disposeAll();
    const tensorsAfter = tf.memory().numTensors;
    return measured.map((row) => ({ ...row, tensorsAfter }));
  } finally {
    rss.stop();
    try {
      disposeAll();
    } catch {
      // Disposal after a failed step (an aborted wasm module) must not hide the step's own error.
    }
  }
}

/** Highest resident set size seen since the last take(): sampled explicitly and every 50 ms while idle. */
class PeakRss {
  private peak = 0;
  private readonly timer = setInterval(() => this.sample(), 50);

  constructor() {
    this.timer.unref();
    this.sample();
  }

  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
  }

  take(): number {
    this.sample();
    const peak = this.peak;
    this.peak = 0;
    return peak;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

function formatTable(rows: BenchRow[]): string {
  const header = [
    'preset',
    'mode',
    'backend',
    'ours tokens/s',
    'torch tokens/s',
    'ratio',
    'peak RSS',
    'tensors',
  ];
  const body = rows.map((row) => [
    row.preset,
    row.mode,
    row.threads === null ? row.backend : `${row.backend} ×${row.threads}`,
    row.tokensPerSecond.toFixed(1),
    row.torchTokensPerSecond === null ? '-' : row.torchTokensPerSecond.toFixed(1),
    row.ratio === null ? '-' : `${row.ratio.toFixed(3)}x`,
    formatBytes(row.peakRssBytes),
    `${row.tensorsBefore} → ${row.tensorsAfter}`,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...body.map((cells) => cells[column]!.length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  return `${[line(header), ...body.map(line)].join('\n')}\n(backend ×N: wasm on N threads)\n`;
}
