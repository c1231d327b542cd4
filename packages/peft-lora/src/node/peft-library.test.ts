import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useBackend } from '@mini-llama/backends';
import { type LlamaModel, SequenceClassifier } from '@mini-llama/model';
import { loadModel } from '@mini-llama/model/node';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { checkWithPeft, needsPeft, peftPython } from '../../test/peft-library.js';
import { LoraModel } from '../lora-model.js';
import { randomizeAdapter } from '../test-helpers.js';
import { loadAdapter, saveAdapter } from './index.js';

// Interop with the real Hugging Face `peft` library (0.21, transformers 5.18, torch 2.13 when the fixtures
// were made): test/fixtures/peft_library.py wrote peft.NAME.adapter/ with peft's own save_pretrained and
// recorded the logits transformers + peft give. The bases are the ones the PyTorch reference fixtures use.
const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

interface PeftReference {
  tokens: number[][];
  logits: number[];
  shape: number[];
  num_labels?: number;
  peft: string;
}

function worstError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  return worst;
}

describe.each(['cpu', 'wasm'] as const)('adapters written by the peft library load on %s', (backend) => {
  it.each(['lm', 'cls'])('%s: the logits peft gave', async (name) => {
    await useBackend(backend);
    const reference = JSON.parse(
      await readFile(`${fixtures}peft.${name}.reference.json`, 'utf8'),
    ) as PeftReference;
    const before = tf.memory().numTensors;
    const { model } = await loadModel(`${fixtures}${name}.base`);
    const classifier = reference.num_labels ? new SequenceClassifier(model, reference.num_labels) : null;
    const lora = await loadAdapter(classifier ?? model, `${fixtures}peft.${name}.adapter`);
    const [B, T] = [reference.tokens.length, reference.tokens[0]!.length];
    const logits = tf.tidy(() => {
      const input = tf.tensor2d(reference.tokens, [B, T], 'int32');
      return classifier ? classifier.logits(input) : model.forward(input);
    });
    expect(logits.shape).toEqual(reference.shape);
    expect(worstError(logits.dataSync(), reference.logits)).toBeLessThan(1e-4);

    // and the adapter is really applied: without it the logits are far from peft's
    lora.disableAdapters();
    const plain = tf.tidy(() => {
      const input = tf.tensor2d(reference.tokens, [B, T], 'int32');
      return classifier ? classifier.logits(input) : model.forward(input);
    });
    expect(worstError(plain.dataSync(), reference.logits)).toBeGreaterThan(1e-2);
    tf.dispose([logits, plain]);
    lora.dispose();
    classifier?.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('peft expands all-linear into module paths; every linear layer of both blocks is adapted', async () => {
    const config = JSON.parse(await readFile(`${fixtures}peft.lm.adapter/adapter_config.json`, 'utf8'));
    expect(config.target_modules).toHaveLength(2 * 7);
    await useBackend(backend);
    const { model } = await loadModel(`${fixtures}lm.base`);
    const lora = await loadAdapter(model, `${fixtures}peft.lm.adapter`);
    expect(lora.targetModules()).toHaveLength(14);
    lora.dispose();
    model.dispose();
  });
});

describe.skipIf(!peftPython)(needsPeft('adapters we write load in the peft library'), () => {
  const tokens = [
    [1, 5, 9, 2, 33, 7, 12],
    [4, 4, 18, 40, 3, 0, 26],
  ];

  async function saveAndCheck(
    base: string,
    build: (model: LlamaModel) => { lora: LoraModel; logits: () => tf.Tensor; dispose?: () => void },
  ) {
    await useBackend('cpu');
    const { model } = await loadModel(base);
    const { lora, logits, dispose } = build(model);
    const directory = await mkdtemp(join(tmpdir(), 'peft-library-'));
    await saveAdapter(lora, directory, { baseModelNameOrPath: base });
    const ours = tf.tidy(logits);
    const theirs = checkWithPeft(base, directory, tokens);
    const result = { ours: Float32Array.from(ours.dataSync()), shape: ours.shape, theirs, directory };
    ours.dispose();
    lora.dispose();
    dispose?.();
    model.dispose();
    return result;
  }

  it('an LM adapter on every linear layer with lm_head to save', async () => {
    const { ours, shape, theirs } = await saveAndCheck(`${fixtures}lm.base`, (model) => {
      const lora = new LoraModel(model, {
        r: 3,
        alpha: 5,
        targetModules: 'all-linear',
        modulesToSave: ['lm_head'],
      });
      randomizeAdapter(lora, 'default', 11, 0.1);
      const head = lora.trainableParameters()['base_model.model.lm_head.modules_to_save.default.weight']!;
      tf.tidy(() => head.assign(tf.mul(head, -1)));
      return { lora, logits: () => model.forward(tf.tensor2d(tokens, [2, 7], 'int32')) };
    });
    expect(theirs.error).toBe('');
    expect(theirs.shape).toEqual(shape);
    expect(worstError(ours, theirs.logits)).toBeLessThan(1e-4);
  });

  // The Llama family as transformers builds it (the parity fixtures of @mini-llama/model: published configs of
  // SmolLM2, Llama 3.2, TinyLlama, Qwen2.5 and Mistral, reduced): llama3 RoPE scaling, an explicit head_dim,
  // Qwen2's q/k/v biases and sliding-window configs all under an adapter peft loads with the same logits.
  it.each(['SmolLM2-135M', 'Llama-3.2-1B', 'TinyLlama-1.1B', 'Qwen2.5-0.5B', 'Mistral-7B-v0.1'])(
    'an adapter on every projection of a %s-shaped checkpoint (bf16 shards from transformers)',
    async (name) => {
      const base = fileURLToPath(new URL(`../../../model/test/fixtures/hf-family/${name}`, import.meta.url));
      const { ours, shape, theirs } = await saveAndCheck(base, (model) => {
        const lora = new LoraModel(model, { r: 4, alpha: 8, targetModules: 'all-linear' });
        randomizeAdapter(lora, 'default', 17, 0.1);
        return { lora, logits: () => model.forward(tf.tensor2d(tokens, [2, 7], 'int32')) };
      });
      expect(theirs.error).toBe('');
      expect(theirs.shape).toEqual(shape);
      expect(worstError(ours, theirs.logits)).toBeLessThan(1e-4);
    },
  );

  it('a rank-stabilised classification adapter on two projections of layer 1, with its score head', async () => {
    const { ours, theirs } = await saveAndCheck(`${fixtures}cls.base`, (model) => {
      const classifier = new SequenceClassifier(model, 4, { seed: 5 });
      const lora = new LoraModel(classifier, {
        r: 2,
        alpha: 3,
        useRslora: true,
        targetModules: ['k_proj', 'down_proj'],
        layersToTransform: [1],
      });
      randomizeAdapter(lora, 'default', 13, 0.3);
      return {
        lora,
        logits: () => classifier.logits(tf.tensor2d(tokens, [2, 7], 'int32')),
        dispose: () => classifier.dispose(),
      };
    });
    expect(theirs.error).toBe('');
    expect(theirs.shape).toEqual([2, 4]);
    expect(worstError(ours, theirs.logits)).toBeLessThan(1e-4);
  });

  it('peft reports the keys it misses when the config names other modules (the check can fail)', async () => {
    const { directory } = await saveAndCheck(`${fixtures}lm.base`, (model) => {
      const lora = new LoraModel(model, { r: 2, targetModules: ['q_proj'] });
      return { lora, logits: () => model.forward(tf.tensor2d(tokens, [2, 7], 'int32')) };
    });
    const configPath = join(directory, 'adapter_config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    await writeFile(configPath, JSON.stringify({ ...config, target_modules: ['v_proj'] }));
    const theirs = checkWithPeft(`${fixtures}lm.base`, directory, tokens);
    expect(theirs.ok).toBe(false);
    expect(theirs.error).toMatch(/missing/i);
  });
});
