import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useBackend } from '@mini-llama/backends';
import { parseSafetensors } from '@mini-llama/formats';
import { crossEntropy } from '@mini-llama/layers';
import { type LlamaModel, SequenceClassifier } from '@mini-llama/model';
import { loadModel } from '@mini-llama/model/node';
import { PARITY_BACKENDS } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { checkWithPytorch, haveTorch, needsTorch } from '../../test/pytorch.js';
import { LoraModel } from '../lora-model.js';
import { randomizeAdapter } from '../test-helpers.js';
import { loadAdapter, saveAdapter } from './index.js';

// Golden values from test/fixtures/generate_fixtures.py: a tiny HF Llama with LoRA written by hand as PEFT
// defines it, saved in PEFT's adapter format, with its logits and the gradients of one loss.
const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

interface Reference {
  tokens: number[][];
  logits: number[];
  shape: number[];
  targets?: number[][];
  labels?: number[];
  num_labels?: number;
  loss: number;
  grads: string;
}

const read = async (name: string) => JSON.parse(await readFile(fixtures + name, 'utf8')) as Reference;

/** The fixture's base with its adapter: a LlamaModel (lm) or a SequenceClassifier (cls). */
async function adapted(name: string, reference: Reference) {
  const { model } = await loadModel(`${fixtures}${name}.base`);
  const classifier = reference.num_labels ? new SequenceClassifier(model, reference.num_labels) : null;
  const lora = await loadAdapter(classifier ?? model, `${fixtures}${name}.adapter`);
  const input = tf.tensor2d(
    reference.tokens,
    [reference.tokens.length, reference.tokens[0]!.length],
    'int32',
  );
  const logits = () => (classifier ? classifier.logits(input) : model.forward(input));
  const loss = () =>
    classifier
      ? crossEntropy(classifier.logits(input), tf.tensor1d(reference.labels!, 'int32'))
      : model.loss(
          input,
          tf.tensor2d(
            reference.targets!,
            [reference.targets!.length, reference.targets![0]!.length],
            'int32',
          ),
        );
  const dispose = () => {
    input.dispose();
    lora.dispose();
    classifier?.dispose();
    model.dispose();
  };
  return { model, lora, logits, loss, dispose };
}

function worstError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  return worst;
}

describe.each(PARITY_BACKENDS)('a PEFT adapter matches PyTorch on %s', (backend) => {
  it.each(['lm', 'cls'])('%s: logits, loss and the gradient of every adapter tensor', async (name) => {
    await useBackend(backend);
    const reference = await read(`${name}.reference.json`);
    const before = tf.memory().numTensors;
    const { lora, logits, loss, dispose } = await adapted(name, reference);
    const ours = tf.tidy(logits);
    expect(ours.shape).toEqual(reference.shape);
    expect(worstError(ours.dataSync(), reference.logits)).toBeLessThan(1e-4);
    ours.dispose();

    lora.eval(); // PyTorch computed the gradients in eval mode (no dropout)
    const trainable = lora.trainableParameters();
    const { value, grads } = tf.variableGrads(() => tf.tidy(loss) as tf.Scalar, Object.values(trainable));
    expect(value.dataSync()[0]).toBeCloseTo(reference.loss, 5);
    // Compare in the file layout: write each gradient into its variable and read the adapter's state dict.
    for (const variable of Object.values(trainable)) tf.tidy(() => variable.assign(grads[variable.name]!));
    const ourGrads = await lora.stateDict();
    const gradFile = `${fixtures}${reference.grads}`;
    const expected = parseSafetensors(new Uint8Array(await readFile(gradFile)), gradFile).tensors;
    expect([...ourGrads.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, tensor] of expected) {
      expect(ourGrads.get(key)!.shape, key).toEqual(tensor.shape);
      expect(worstError(ourGrads.get(key)!.data, tensor.data), key).toBeLessThan(1e-5);
    }
    tf.dispose([value, grads]);
    dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe.skipIf(!haveTorch)(needsTorch('adapters we save load in the PyTorch reference'), () => {
  const tokens = [
    [1, 5, 9, 2, 33, 7, 12],
    [4, 4, 18, 40, 3, 0, 26],
  ];

  async function oursAndTheirs(
    base: string,
    build: (model: LlamaModel) => { lora: LoraModel; logits: () => tf.Tensor },
  ) {
    await useBackend('cpu');
    const { model } = await loadModel(base);
    const { lora, logits } = build(model);
    const directory = await mkdtemp(join(tmpdir(), 'peft-lora-'));
    await saveAdapter(lora, directory, { baseModelNameOrPath: base });
    const ours = tf.tidy(logits);
    const theirs = checkWithPytorch(base, directory, tokens);
    const result = { ours: Float32Array.from(ours.dataSync()), shape: ours.shape, theirs, directory };
    ours.dispose();
    lora.dispose();
    model.dispose();
    return result;
  }

  it('an LM adapter on every linear layer with lm_head to save gives PyTorch our logits', async () => {
    const { ours, shape, theirs } = await oursAndTheirs(`${fixtures}lm.base`, (model) => {
      const lora = new LoraModel(model, {
        r: 3,
        alpha: 5,
        targetModules: 'all-linear',
        modulesToSave: ['lm_head'],
      });
      randomizeAdapter(lora, 'default', 11, 0.1);
      const head = lora.trainableParameters()['base_model.model.lm_head.modules_to_save.default.weight']!;
      tf.tidy(() => head.assign(tf.mul(head, -1)));
      const input = () => tf.tensor2d(tokens, [2, 7], 'int32');
      return { lora, logits: () => model.forward(input()) };
    });
    expect(theirs.error).toBe('');
    expect(theirs.shape).toEqual(shape);
    expect(worstError(ours, theirs.logits)).toBeLessThan(1e-4);
  });

  it('a classification adapter (k_proj of layer 0, rank-stabilised) gives PyTorch our logits', async () => {
    let classifier: SequenceClassifier | null = null;
    const { ours, theirs } = await oursAndTheirs(`${fixtures}cls.base`, (model) => {
      classifier = new SequenceClassifier(model, 5, { seed: 3 });
      const lora = new LoraModel(classifier, {
        r: 2,
        alpha: 3,
        useRslora: true,
        targetModules: ['k_proj'],
        layersToTransform: [0],
      });
      randomizeAdapter(lora, 'default', 12, 0.3);
      const input = () => tf.tensor2d(tokens, [2, 7], 'int32');
      return { lora, logits: () => classifier!.logits(input()) };
    });
    (classifier as SequenceClassifier | null)?.dispose();
    expect(theirs.error).toBe('');
    expect(theirs.shape).toEqual([2, 5]);
    expect(worstError(ours, theirs.logits)).toBeLessThan(1e-4);
  });

  it('the PyTorch check rejects an adapter whose keys do not match its config', async () => {
    const { directory } = await oursAndTheirs(`${fixtures}lm.base`, (model) => {
      const lora = new LoraModel(model, { r: 2, targetModules: ['q_proj'] });
      return { lora, logits: () => model.forward(tf.tensor2d(tokens, [2, 7], 'int32')) };
    });
    const configPath = join(directory, 'adapter_config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    await writeFile(configPath, JSON.stringify({ ...config, target_modules: ['v_proj'] }));
    const theirs = checkWithPytorch(`${fixtures}lm.base`, directory, tokens);
    expect(theirs.ok).toBe(false);
    expect(theirs.error).toMatch(/keys differ from what adapter_config\.json implies/);
  });
});
