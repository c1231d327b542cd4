// kill -9 at random moments, SIGTERM, a full disk, a corrupted checkpoint and two processes on one run
// directory, against real `pretrain` and `finetune` processes; each faulted run is driven to its end by
// `--resume` and must equal the same run left alone, bit for bit. MINI_LLAMA_FAULT_RUNS scales the random
// kills (2 runs per workload in CI); MINI_LLAMA_FAULT_REPORT=FILE writes the counts as JSON.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '@mini-llama/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../cli-harness.js';
import {
  BIN,
  corruptNewestCheckpoint,
  differences,
  type Fault,
  isOneLineError,
  nextCommand,
  type Outcome,
  runWithFault,
  type Workload,
} from './fault-injection.js';

const RUNS = Number(process.env.MINI_LLAMA_FAULT_RUNS ?? 2);
const SEED = Number(process.env.MINI_LLAMA_FAULT_SEED ?? 20261203);
const built = existsSync(BIN);

const training = (steps: number) => [
  '--steps',
  String(steps),
  '--batch-size',
  '4',
  '--checkpoint-every',
  '2',
  '--keep-last',
  '3',
  '--backend',
  'cpu',
];

const WORKLOADS: Workload[] = [
  {
    name: 'pretrain',
    command: 'pretrain',
    fresh: (out) => [
      'pretrain',
      ...['--data', 'corpus.txt', '--tokenizer', 'bytes', '--dim', '16', '--layers', '2', '--heads', '2'],
      ...['--seq-len', '32', '--lr', '3e-3', '--warmup', '2', '--eval-every', '4', '--eval-batches', '2'],
      ...['--val-fraction', '0.2', '--seed', '7', ...training(16), '--out', out],
    ],
    results: ['model/model.safetensors', 'model/config.json'],
  },
  {
    name: 'finetune (classifier, --max-length)',
    command: 'finetune',
    fresh: (out) => [
      'finetune',
      ...[
        '--init',
        'base/model',
        '--tokenizer',
        'bytes',
        '--task',
        'tsv:train.tsv',
        '--eval-task',
        'tsv:dev.tsv',
      ],
      ...['--max-length', '16', '--eval-every', '4', ...training(12), '--out', out],
    ],
    results: ['model/model.safetensors', 'model/classifier.safetensors', 'model/labels.json'],
  },
  {
    name: 'finetune (LoRA with dropout, language model)',
    command: 'finetune',
    fresh: (out) => [
      'finetune',
      ...['--init', 'base/model', '--tokenizer', 'bytes', '--lm-data', 'qa.jsonl'],
      ...['--lora-rank', '4', '--lora-alpha', '8', '--lora-dropout', '0.1', ...training(12), '--out', out],
    ],
    results: ['adapter_model.safetensors', 'adapter_config.json'],
  },
  {
    name: 'finetune (LoRA classifier)',
    command: 'finetune',
    fresh: (out) => [
      'finetune',
      ...['--init', 'base/model', '--tokenizer', 'bytes', '--task', 'tsv:train.tsv'],
      ...['--lora-rank', '4', '--lora-alpha', '8', ...training(12), '--out', out],
    ],
    results: ['adapter_model.safetensors', 'adapter_config.json'],
  },
];

/** What the suite did, for docs/training.md. */
const counts = {
  seed: SEED,
  runsPerWorkload: RUNS,
  faults: { 'kill -9': 0, SIGTERM: 0, 'full disk': 0, 'corrupted checkpoint': 0, 'two processes': 0 },
  faultedRuns: 0,
  resumedExactly: 0,
  dataLost: 0,
};

let work = '';
const reference = new Map<string, { directory: string; ms: number }>();

async function finish(workload: Workload, out: string): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const outcome = await runWithFault(nextCommand(workload, out, work), { kind: 'none' }, work);
    outcomes.push(outcome);
    if (outcome.code === 0) return outcomes;
  }
  throw new Error(
    `${workload.name} in ${out} did not finish: ${outcomes.map((o) => o.stderr).join('\n---\n')}`,
  );
}

/** Checks a faulted run against the undisturbed one and counts it. */
function expectExact(workload: Workload, out: string): void {
  const found = differences(workload, join(work, out), reference.get(workload.name)!.directory);
  counts.faultedRuns++;
  if (found.length === 0) counts.resumedExactly++;
  else counts.dataLost++;
  expect(found, `${workload.name} in ${out}`).toEqual([]);
}

describe.skipIf(!built)(`fault injection${built ? '' : ' (skipped: dist/bin.js is not built)'}`, () => {
  beforeAll(async () => {
    work = await temporaryDirectory();
    const story = (i: number) =>
      `Once upon a time a fox number ${i} ran to the river. The river was cold and the fox was glad to see a friend.\n`;
    writeFileSync(join(work, 'corpus.txt'), Array.from({ length: 60 }, (_, i) => story(i)).join(''));
    const rows = (n: number, offset: number) =>
      Array.from({ length: n }, (_, i) =>
        (i + offset) % 2
          ? `a great and very fun film to watch, number ${i}\tpositive`
          : `an awful and very dull film to sit through ${i}\tnegative`,
      ).join('\n');
    writeFileSync(join(work, 'train.tsv'), `text\tlabel\n${rows(40, 0)}\n`);
    writeFileSync(join(work, 'dev.tsv'), `text\tlabel\n${rows(8, 1)}\n`);
    writeFileSync(
      join(work, 'qa.jsonl'),
      Array.from({ length: 24 }, (_, i) =>
        JSON.stringify({ prompt: `Q: what comes after ${i}? A:`, completion: ` ${i + 1}` }),
      ).join('\n'),
    );
    const base = await runWithFault(
      [
        'pretrain',
        '--data',
        'corpus.txt',
        '--tokenizer',
        'bytes',
        '--dim',
        '16',
        '--layers',
        '2',
        '--heads',
        '2',
      ].concat(['--seq-len', '48', '--steps', '2', '--batch-size', '2', '--backend', 'cpu', '--out', 'base']),
      { kind: 'none' },
      work,
    );
    expect(base.code, base.stderr).toBe(0);
    for (const workload of WORKLOADS) {
      const directory = `reference-${reference.size}`;
      const started = Date.now();
      const run = await runWithFault(workload.fresh(directory), { kind: 'none' }, work);
      expect(run.code, run.stderr).toBe(0);
      reference.set(workload.name, { directory: join(work, directory), ms: Date.now() - started });
    }
  }, 300_000);

  afterAll(() => {
    const report = process.env.MINI_LLAMA_FAULT_REPORT;
    if (report) writeFileSync(report, `${JSON.stringify(counts, null, 2)}\n`);
  });

  it.each(WORKLOADS)(
    '$name: kill -9 at random moments, resumed until done, equals the undisturbed run',
    async (workload) => {
      // Seeded, so that a failing sequence of faults can be replayed with MINI_LLAMA_FAULT_SEED.
      const next = seededRandom(SEED + WORKLOADS.indexOf(workload));
      const { ms } = reference.get(workload.name)!;
      for (let run = 0; run < RUNS; run++) {
        const out = `kill-${WORKLOADS.indexOf(workload)}-${run}`;
        for (let kill = 0; kill < 3; kill++) {
          // Anywhere from start-up (before the run directory exists) to the last step and the final save.
          const fault: Fault = { kind: 'kill', afterMs: Math.round(150 + next() * ms) };
          const outcome = await runWithFault(nextCommand(workload, out, work), fault, work);
          if (outcome.injected) counts.faults['kill -9']++;
          else expect(outcome.code, outcome.stderr).toBe(0); // it ended before the kill: it must have finished
          if (outcome.code === 0) break;
        }
        await finish(workload, out);
        expectExact(workload, out);
      }
    },
    600_000,
  );

  it('SIGTERM (timeout, docker, systemd) stops after the step with a checkpoint, exit 143, and resumes exactly', async () => {
    for (const workload of [WORKLOADS[0]!, WORKLOADS[2]!]) {
      const out = `sigterm-${WORKLOADS.indexOf(workload)}`;
      const stopped = await runWithFault(workload.fresh(out), { kind: 'sigterm', afterSteps: 3 }, work);
      expect(stopped.injected).toBe(true);
      counts.faults.SIGTERM++;
      expect(stopped.code, stopped.stderr).toBe(143);
      expect(stopped.stderr).toContain('interrupted: finishing this step and writing a checkpoint (SIGTERM');
      expect(stopped.stdout).toContain(
        `resume with: mini-llama ${workload.command} --resume ${join(work, out)}`,
      );
      await finish(workload, out);
      expectExact(workload, out);
    }
  }, 300_000);

  it('a full disk fails with one line naming the file, leaves the run resumable, and it resumes exactly', async () => {
    const workload = WORKLOADS[0]!;
    const out = 'full-disk';
    // 40 blocks of 512 bytes: the corpus and metrics fit, a checkpoint's weights (80 kB) do not.
    const full = await runWithFault(workload.fresh(out), { kind: 'full-disk', fileBlocks: 40 }, work);
    counts.faults['full disk']++;
    expect(full.code, full.stderr).toBe(1);
    expect(isOneLineError(full.stderr, 'pretrain'), full.stderr).toBe(true);
    expect(full.stderr).toMatch(
      new RegExp(`${join(work, out)}/.*: the file would exceed the system's file size limit \\(EFBIG\\)`),
    );
    await finish(workload, out);
    expectExact(workload, out);
  }, 300_000);

  it('a checkpoint corrupted after a crash is passed over with a message, and the run resumes exactly', async () => {
    const workload = WORKLOADS[1]!;
    const out = 'corrupted';
    const stopped = await runWithFault(workload.fresh(out), { kind: 'sigterm', afterSteps: 7 }, work);
    expect(stopped.code, stopped.stderr).toBe(143);
    const corrupted = corruptNewestCheckpoint(join(work, out));
    expect(corrupted).not.toBeNull();
    counts.faults['corrupted checkpoint']++;
    const [resumed] = await finish(workload, out);
    expect(resumed!.stderr).toMatch(
      new RegExp(`passing over .*${corrupted}: .*its SHA-256 is not the one recorded`),
    );
    expectExact(workload, out);
  }, 300_000);

  it('two processes on one run directory: the second is refused, the first finishes exactly', async () => {
    const workload = WORKLOADS[3]!;
    const out = 'two';
    mkdirSync(join(work, out), { recursive: true });
    const stopped = await runWithFault(workload.fresh(out), { kind: 'sigterm', afterSteps: 2 }, work);
    expect(stopped.code, stopped.stderr).toBe(143);
    const resume = [workload.command, '--resume', out, '--backend', 'cpu'];
    const first = runWithFault(resume, { kind: 'none' }, work);
    // Once the first holds the lock (it takes it before any work), the second starts.
    while (!existsSync(join(work, out, 'run.lock'))) await new Promise((done) => setTimeout(done, 5));
    const second = await runWithFault(resume, { kind: 'none' }, work);
    counts.faults['two processes']++;
    expect(second.code).toBe(1);
    expect(isOneLineError(second.stderr, 'finetune'), second.stderr).toBe(true);
    expect(second.stderr).toMatch(/is in use by process \d+ on .*one run directory holds one run at a time/);
    expect((await first).code).toBe(0);
    expectExact(workload, out);
  }, 300_000);
});
