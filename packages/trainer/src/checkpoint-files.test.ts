import { useBackend } from '@mini-llama/backends';
import { type LlamaConfigInput, LlamaModel } from '@mini-llama/model';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  type CheckpointFiles,
  parseCheckpoint,
  restoreTraining,
  serializeCheckpoint,
  snapshotTraining,
  Trainer,
} from './index.js';
import { ArrayWindowSource, tokenStream } from './test-helpers.js';

// Checkpoints as bytes, without a file system (what a browser stores in IndexedDB or OPFS).
const plain: LlamaConfigInput = {
  dim: 16,
  nLayers: 1,
  nHeads: 2,
  vocabSize: 20,
  maxSeqLen: 8,
  multipleOf: 8,
};
// The arithmetic of real checkpoints (issue "Real checkpoints in"): llama3 RoPE scaling, an explicit head width,
// biases (Qwen2's q/k/v), a sliding window (Mistral's) larger than the sequences.
const family: LlamaConfigInput = {
  ...plain,
  headDim: 12,
  qkvBias: true,
  ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxSeqLen: 4 },
};
const tokens = tokenStream(400, 20);
let shape = plain;

function run(steps: number) {
  const model = new LlamaModel(shape, { seed: 5 });
  const trainer = new Trainer(model, {
    steps,
    batchSize: 2,
    optimizer: { weightDecay: 0.1 },
    schedule: { name: 'cosine', learningRate: 1e-2, warmupSteps: 1 },
  });
  const source = new ArrayWindowSource(tokens, 6);
  const dispose = () => {
    trainer.dispose();
    model.dispose();
  };
  return { model, trainer, source, dispose };
}

/** A structured copy, as IndexedDB keeps it: nothing shared with the trainer that made it. */
const stored = (files: CheckpointFiles): CheckpointFiles => structuredClone(files);

describe('checkpoint files', () => {
  it.each([
    ['a Llama 2 shape', plain],
    ['llama3 RoPE scaling, head_dim and q/k/v biases', family],
  ] as [string, LlamaConfigInput][])(
    'resume a run exactly (%s): the same losses and weights as the uninterrupted run',
    async (_, config) => {
      shape = config;
      await useBackend('cpu');
      const before = tf.memory().numTensors;
      const straight = run(4);
      const straightLosses: number[] = [];
      for (let i = 0; i < 4; i++)
        straightLosses.push((await straight.trainer.trainStep(straight.source)).loss);
      const straightWeights = await straight.model.stateDict();
      straight.dispose();

      const first = run(4);
      const firstLosses: number[] = [];
      for (let i = 0; i < 2; i++) firstLosses.push((await first.trainer.trainStep(first.source)).loss);
      const files = stored(
        serializeCheckpoint(await snapshotTraining(first.trainer, first.source, { metrics: firstLosses })),
      );
      first.dispose();

      const second = run(4);
      const checkpoint = parseCheckpoint(files, 'store/run-1');
      restoreTraining(second.trainer, second.source, checkpoint, 'store/run-1');
      expect(checkpoint.state.metrics).toEqual(firstLosses);
      expect(second.trainer.step).toBe(2);
      const secondLosses: number[] = [];
      for (let i = 0; i < 2; i++) secondLosses.push((await second.trainer.trainStep(second.source)).loss);
      expect([...firstLosses, ...secondLosses]).toEqual(straightLosses);
      const resumedWeights = await second.model.stateDict();
      for (const [name, tensor] of straightWeights)
        expect(resumedWeights.get(name)!.data, name).toEqual(tensor.data);
      second.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('refuse a corrupt file or another model shape, naming where it came from', async () => {
    shape = plain;
    await useBackend('cpu');
    const { trainer, source, dispose } = run(2);
    await trainer.trainStep(source);
    const files = serializeCheckpoint(await snapshotTraining(trainer, source));
    expect(() => parseCheckpoint({ ...files, 'trainer-state.json': '{"format"' }, 'store/run-1')).toThrow(
      /^store\/run-1\/trainer-state\.json: invalid JSON/,
    );
    expect(() =>
      parseCheckpoint(
        { ...files, 'optimizer.safetensors': files['optimizer.safetensors'].slice(0, 20) },
        'store/run-1',
      ),
    ).toThrow(/^store\/run-1\/optimizer\.safetensors: /);
    dispose();

    const other = new LlamaModel({ ...shape, dim: 24, nHeads: 3 }, { seed: 1 });
    const otherTrainer = new Trainer(other, {
      steps: 1,
      batchSize: 2,
      optimizer: {},
      schedule: { name: 'constant', learningRate: 1e-3 },
    });
    expect(() =>
      restoreTraining(otherTrainer, source, parseCheckpoint(files, 'store/run-1'), 'store/run-1'),
    ).toThrow(
      'store/run-1: made for another model (dim 16 ≠ 24, nHeads 2 ≠ 3, nKvHeads 2 ≠ 3, hiddenDim 48 ≠ 64)',
    );
    otherTrainer.dispose();
    other.dispose();

    const scaled = new LlamaModel({ ...shape, ropeScaling: { type: 'linear', factor: 2 } }, { seed: 1 });
    const scaledTrainer = new Trainer(scaled, {
      steps: 1,
      batchSize: 2,
      optimizer: {},
      schedule: { name: 'constant', learningRate: 1e-3 },
    });
    expect(() =>
      restoreTraining(scaledTrainer, source, parseCheckpoint(files, 'store/run-1'), 'store/run-1'),
    ).toThrow('store/run-1: made for another model (ropeScaling null ≠ {"type":"linear","factor":2})');
    scaledTrainer.dispose();
    scaled.dispose();
  });
});
