import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from '@mini-llama/backends';
import { type LlamaConfigInput, LlamaModel } from '@mini-llama/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StepMetrics, Trainer, type TrainerConfig } from '../index.js';
import { ArrayWindowSource, tokenStream } from '../test-helpers.js';
import { latestCheckpoint, listCheckpoints, loadCheckpoint, resumeTraining, runTraining } from './index.js';

const shape: LlamaConfigInput = {
  dim: 16,
  nLayers: 2,
  nHeads: 2,
  vocabSize: 31,
  maxSeqLen: 8,
  multipleOf: 8,
};
const config: TrainerConfig = {
  steps: 8,
  batchSize: 2,
  gradAccum: 2,
  optimizer: { beta1: 0.9, beta2: 0.95, weightDecay: 0.1 },
  schedule: { name: 'cosine', learningRate: 1e-2, minLearningRate: 1e-3, warmupSteps: 2 },
  evalEvery: 3,
};
const tokens = tokenStream(600, 31);
const validation = () => [new ArrayWindowSource(tokens.slice(500), 6).nextBatch(4)];

let work = '';
beforeAll(async () => {
  await useBackend('cpu');
  work = mkdtempSync(join(tmpdir(), 'mini-llama-train-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const readMetrics = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as StepMetrics);

async function fresh(steps = config.steps) {
  const model = new LlamaModel(shape, { seed: 11 });
  const trainer = new Trainer(model, { ...config, steps });
  return { model, trainer, source: new ArrayWindowSource(tokens.slice(0, 500), 6) };
}

describe('runTraining', () => {
  it('a run stopped at step k and resumed gives the same losses, step by step', async () => {
    const straight = join(work, 'straight');
    const a = await fresh();
    await runTraining({ runDirectory: straight, trainer: a.trainer, train: a.source, validation });
    a.trainer.dispose();
    a.model.dispose();

    const interrupted = join(work, 'interrupted');
    const controller = new AbortController();
    const b = await fresh();
    b.trainer.on((event) => {
      if (event.type === 'step' && event.metrics.step === 4) controller.abort(); // Ctrl-C during step 4
    });
    const first = await runTraining({
      runDirectory: interrupted,
      trainer: b.trainer,
      train: b.source,
      validation,
      signal: controller.signal,
    });
    expect(first).toMatchObject({ step: 4, stopped: true });
    b.trainer.dispose();
    b.model.dispose();

    const c = await fresh();
    const checkpoint = await latestCheckpoint(interrupted);
    expect(checkpoint).toMatch(/checkpoint-000004$/);
    await resumeTraining(c.trainer, c.source, checkpoint!, interrupted);
    await runTraining({ runDirectory: interrupted, trainer: c.trainer, train: c.source, validation });
    c.trainer.dispose();
    c.model.dispose();

    const expected = readMetrics(straight);
    const resumed = readMetrics(interrupted);
    expect(resumed.map((m) => m.step)).toEqual(expected.map((m) => m.step));
    resumed.forEach((metrics, i) => {
      expect(metrics.loss).toBe(expected[i]!.loss);
      expect(metrics.gradNorm).toBe(expected[i]!.gradNorm);
      expect(metrics.lr).toBe(expected[i]!.lr);
      expect(metrics.valLoss).toBe(expected[i]!.valLoss);
    });
  });

  it('writes metrics.jsonl with step, loss, lr, gradNorm, tokensPerSecond and valLoss where evaluated', () => {
    const metrics = readMetrics(join(work, 'straight'));
    expect(metrics).toHaveLength(8);
    for (const line of metrics) {
      expect(Object.keys(line)).toEqual(
        expect.arrayContaining(['step', 'loss', 'lr', 'gradNorm', 'tokensPerSecond']),
      );
    }
    expect(metrics.filter((m) => m.valLoss !== undefined).map((m) => m.step)).toEqual([3, 6, 8]);
  });

  it('keeps the last N checkpoints plus the best', async () => {
    const dir = join(work, 'keep');
    const run = await fresh(9);
    // evaluation only at step 3: it stays the best while later checkpoints come and go
    run.trainer.config.evalEvery = 3;
    let evaluations = 0;
    await runTraining({
      runDirectory: dir,
      trainer: run.trainer,
      train: run.source,
      validation: () =>
        evaluations++ === 0 ? validation() : [new ArrayWindowSource(tokenStream(60, 31, 99), 6).nextBatch(4)],
      checkpointEvery: 1,
      keepLast: 2,
    });
    const steps = (await listCheckpoints(dir)).map((c) => c.step);
    const best = JSON.parse(readFileSync(join(dir, 'best.json'), 'utf8')) as { checkpoint: string };
    expect(steps.slice(-2)).toEqual([8, 9]);
    expect(steps).toContain(Number(best.checkpoint.slice(-6)));
    expect(steps.length).toBeLessThanOrEqual(3);
    run.trainer.dispose();
    run.model.dispose();
  });

  it('a checkpoint write killed half-way leaves the previous checkpoint loadable', async () => {
    const dir = join(work, 'straight');
    const before = await latestCheckpoint(dir);
    // what a crash mid-write leaves: a temporary directory with some of the files
    mkdirSync(join(dir, '.checkpoint-000009.abc123.tmp'));
    writeFileSync(join(dir, '.checkpoint-000009.abc123.tmp', 'model.safetensors'), new Uint8Array(10));
    expect(await latestCheckpoint(dir)).toBe(before);
    const loaded = await loadCheckpoint(before!);
    expect(loaded.step).toBe(8);
    // the checkpoint carries the metrics so far and the data cursor
    expect((loaded.state.metrics as StepMetrics[]).map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(loaded.state.dataCursor).toEqual({ position: 32 });
  });

  it('rejects a corrupt checkpoint with a clear error and never overwrites it', async () => {
    const dir = join(work, 'corrupt');
    const run = await fresh(2);
    await runTraining({ runDirectory: dir, trainer: run.trainer, train: run.source });
    const path = (await latestCheckpoint(dir))!;
    const optimizerFile = join(path, 'optimizer.safetensors');
    const bytes = readFileSync(optimizerFile);
    writeFileSync(optimizerFile, bytes.subarray(0, bytes.length - 40));
    const again = await fresh(4);
    await expect(resumeTraining(again.trainer, again.source, path, dir)).rejects.toThrow(
      /optimizer\.safetensors: /,
    );
    expect(readFileSync(optimizerFile).length).toBe(bytes.length - 40); // untouched
    writeFileSync(join(path, 'trainer-state.json'), '{"format": ');
    await expect(resumeTraining(again.trainer, again.source, path)).rejects.toThrow(
      /trainer-state\.json: invalid JSON/,
    );
    await expect(resumeTraining(again.trainer, again.source, join(dir, 'nothing-here'))).rejects.toThrow(
      /nothing-here\/trainer-state\.json: cannot read/,
    );
    for (const r of [run, again]) {
      r.trainer.dispose();
      r.model.dispose();
    }
  });

  it('rejects a checkpoint of another model', async () => {
    const other = new LlamaModel({ ...shape, dim: 32 }, { seed: 1 });
    const trainer = new Trainer(other, config);
    await expect(
      resumeTraining(
        trainer,
        new ArrayWindowSource(tokens, 6),
        (await latestCheckpoint(join(work, 'straight')))!,
      ),
    ).rejects.toThrow(/made for another model \(dim 16 ≠ 32/);
    trainer.dispose();
    other.dispose();
  });

  it('never overwrites an existing checkpoint', async () => {
    const dir = join(work, 'straight');
    const run = await fresh();
    await resumeTraining(run.trainer, run.source, (await latestCheckpoint(dir))!);
    run.trainer.step = 7; // as if a second run wrote into the same directory
    run.trainer.config.steps = 8;
    await expect(runTraining({ runDirectory: dir, trainer: run.trainer, train: run.source })).rejects.toThrow(
      /checkpoint-000008: a checkpoint for step 8 already exists; not overwriting it/,
    );
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp')).length).toBe(1); // only the fake one above
    run.trainer.dispose();
    run.model.dispose();
  });
});
