import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useBackend } from '@mini-llama/backends';
import { configFromHfJson, parameterCount, ropeInverseFrequencies } from '@mini-llama/formats';
import { hubSettings } from '@mini-llama/formats/node';
import { PARITY_BACKENDS, startLoopbackHub } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { generate } from '../index.js';
import { loadModel } from './index.js';

// Made by test/fixtures/hf-family/generate.py: transformers builds each model from its published config
// (published/NAME.json) at a reduced size with random weights, saves it in bf16 in shards, and records the logits
// and greedy tokens of the f32 upcast, and the rotary frequencies it uses.
const fixtures = fileURLToPath(new URL('../../test/fixtures/hf-family/', import.meta.url));
const FAMILY = ['SmolLM2-135M', 'Llama-3.2-1B', 'TinyLlama-1.1B', 'Qwen2.5-0.5B', 'Mistral-7B-v0.1'];

interface Expected {
  tokens: number[][];
  shape: [number, number, number];
  logits: number[];
  invFreq: number[];
  prompt: number[];
  greedy: number[];
}

const expected = (name: string): Expected =>
  JSON.parse(readFileSync(join(fixtures, name, 'expected.json'), 'utf8'));

/** The fixture with its config.json replaced by the published (transformers 4) form of the same model. */
function withV4Config(name: string): string {
  const directory = mkdtempSync(join(tmpdir(), `mini-llama-${name}-v4-`));
  for (const file of readdirSync(join(fixtures, name))) {
    if (file.endsWith('.safetensors') || file.endsWith('.index.json')) {
      copyFileSync(join(fixtures, name, file), join(directory, file));
    }
  }
  copyFileSync(join(fixtures, name, 'config.v4.json'), join(directory, 'config.json'));
  return directory;
}

describe('published configs of the Llama family', () => {
  it.each(FAMILY)('%s: read whole, every key understood or known to be harmless', (name) => {
    const published = JSON.parse(readFileSync(join(fixtures, 'published', `${name}.json`), 'utf8'));
    expect(() => configFromHfJson(published, `${name}.json`)).not.toThrow();
  });

  it('reads what each model computes differently', () => {
    const read = (name: string) =>
      configFromHfJson(JSON.parse(readFileSync(join(fixtures, 'published', `${name}.json`), 'utf8')), name);
    expect(read('SmolLM2-135M')).toMatchObject({
      ropeTheta: 100000,
      headDim: 64,
      nKvHeads: 3,
      tieEmbeddings: true,
    });
    expect(read('Llama-3.2-1B')).toMatchObject({
      ropeTheta: 500000,
      ropeScaling: {
        type: 'llama3',
        factor: 32,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalMaxSeqLen: 8192,
      },
      vocabSize: 128256,
    });
    expect(read('Qwen2.5-0.5B')).toMatchObject({
      qkvBias: true,
      attentionOutputBias: false,
      slidingWindow: null,
    });
    expect(read('Mistral-7B-v0.1')).toMatchObject({ slidingWindow: 4096, tieEmbeddings: false });
    expect(read('TinyLlama-1.1B')).toMatchObject({ nKvHeads: 4, tieEmbeddings: false, ropeScaling: null });
  });

  it.each(FAMILY)(
    '%s: the config transformers 5 saved and the transformers 4 form give one model',
    (name) => {
      const v5 = JSON.parse(readFileSync(join(fixtures, name, 'config.json'), 'utf8'));
      const v4 = JSON.parse(readFileSync(join(fixtures, name, 'config.v4.json'), 'utf8'));
      expect(configFromHfJson(v5, 'config.json')).toEqual(configFromHfJson(v4, 'config.v4.json'));
    },
  );

  it.each(FAMILY)('%s: the rotary frequencies are the ones transformers uses', (name) => {
    const config = configFromHfJson(
      JSON.parse(readFileSync(join(fixtures, name, 'config.json'), 'utf8')),
      name,
    );
    const theirs = expected(name).invFreq;
    const ours = ropeInverseFrequencies(config);
    theirs.forEach((value, i) => {
      expect(Math.abs(ours[i]! - value) / value, `θ_${i}`).toBeLessThan(3e-7);
    });
  });
});

describe.each(PARITY_BACKENDS)('the Llama family from transformers bf16 shards on %s', (backend) => {
  it.each(
    FAMILY.flatMap((name) => [
      [name, 'config.json'],
      [name, 'config.v4.json'],
    ]),
  )(
    '%s (%s): logits within 1e-4 of transformers, greedy decoding the same tokens, no tensors left',
    async (name, configFile) => {
      await useBackend(backend);
      const want = expected(name);
      const before = tf.memory().numTensors;
      const path = configFile === 'config.json' ? join(fixtures, name) : withV4Config(name);
      const { model, file } = await loadModel(path);
      expect(file.format).toBe('hf');
      expect(parameterCount(model.config)).toBe(model.parameterCount()); // biases and head widths counted
      const logits = tf.tidy(() =>
        model.forward(tf.tensor2d(want.tokens, [want.shape[0], want.shape[1]], 'int32')),
      );
      expect(logits.shape).toEqual(want.shape);
      const ours = await logits.data();
      let worst = 0;
      want.logits.forEach((value, i) => {
        worst = Math.max(worst, Math.abs(value - ours[i]!));
      });
      logits.dispose();
      expect(worst).toBeLessThan(1e-4);
      const { tokens } = await generate(model, [want.prompt], {
        maxNewTokens: want.greedy.length,
        temperature: 0,
      });
      expect(tokens[0]).toEqual(want.greedy);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});

describe('a sliding window (Mistral)', () => {
  it('is exact while the sequence fits it, and a longer one is refused naming the window', async () => {
    await useBackend('cpu');
    const { model } = await loadModel(join(fixtures, 'Mistral-7B-v0.1'));
    (model.config as { slidingWindow: number | null }).slidingWindow = 8;
    const tokens = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8, 9]], [1, 9], 'int32');
    expect(() => model.forward(tokens)).toThrow(
      /9 positions exceed the model's sliding window of 8 \(config\.slidingWindow\)/,
    );
    const fits = tf.tidy(() => model.forward(tf.slice(tokens, [0, 0], [1, 8])));
    expect(fits.shape).toEqual([1, 8, 512]);
    const { tokens: out, finishReasons } = await generate(model, [[1, 2, 3, 4, 5]], {
      maxNewTokens: 10,
      temperature: 0,
    });
    expect(out[0]).toHaveLength(3); // generation stops at the window, as it stops at the context
    expect(finishReasons).toEqual(['context']);
    fits.dispose();
    tokens.dispose();
    model.dispose();
  });
});

describe('loadModel("hf:ORG/NAME") through a loopback Hub', () => {
  it('downloads the sharded bf16 checkpoint into the cache and computes what the local files compute', async () => {
    await useBackend('cpu');
    const name = 'SmolLM2-135M';
    const files: Record<string, Uint8Array> = {};
    for (const file of readdirSync(join(fixtures, name)))
      files[file] = readFileSync(join(fixtures, name, file));
    const hub = await startLoopbackHub({ [`HuggingFaceTB/${name}`]: { commit: 'e'.repeat(40), files } });
    try {
      const settings = await hubSettings({
        HF_HOME: mkdtempSync(join(tmpdir(), 'mini-llama-hf-')),
        HF_ENDPOINT: hub.endpoint,
      });
      const { model, file } = await loadModel(`hf:HuggingFaceTB/${name}`, { hub: { settings } });
      expect(
        file.files.every((path) => path.includes(join('models--HuggingFaceTB--SmolLM2-135M', 'snapshots'))),
      ).toBe(true);
      const want = expected(name);
      const logits = tf.tidy(() =>
        model.forward(tf.tensor2d(want.tokens, [want.shape[0], want.shape[1]], 'int32')),
      );
      const ours = await logits.data();
      expect(Math.max(...want.logits.map((value, i) => Math.abs(value - ours[i]!)))).toBeLessThan(1e-4);
      logits.dispose();
      model.dispose();
    } finally {
      await hub.close();
    }
  });
});
