import { useBackend } from '@mini-llama/backends';
import { registerFusedKernels, unregisterFusedKernels } from '@mini-llama/layers/kernels';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { argmax, generate, generateStream, type LlamaConfigInput, LlamaModel } from './index.js';

const tiny: LlamaConfigInput = {
  dim: 32,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  vocabSize: 40,
  maxSeqLen: 20,
  multipleOf: 8,
};

/** Greedy decoding the slow way: re-run the whole sequence for every new token, no cache. */
function greedyWithoutCache(model: LlamaModel, prompt: number[], count: number): number[] {
  const sequence = [...prompt];
  for (let i = 0; i < count; i++) {
    const last = tf.tidy(() => {
      const logits = model.forward(tf.tensor2d([sequence], [1, sequence.length], 'int32'));
      return tf.slice(logits, [0, sequence.length - 1, 0], [1, 1, -1]).dataSync();
    });
    sequence.push(argmax(last));
  }
  return sequence.slice(prompt.length);
}

describe.each(['cpu', 'wasm'] as const)('generate on %s', (backend) => {
  it('with the KV cache equals recomputation without it, token for token', async () => {
    await useBackend(backend);
    const model = new LlamaModel(tiny, { seed: 11 });
    const before = tf.memory().numTensors;
    const prompt = [1, 5, 9];
    const { tokens, finishReasons } = await generate(model, [prompt], { maxNewTokens: 12, temperature: 0 });
    expect(tokens[0]).toEqual(greedyWithoutCache(model, prompt, 12));
    expect(finishReasons).toEqual(['length']);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('a left-padded batch gives each prompt what it gets alone', async () => {
    await useBackend(backend);
    const model = new LlamaModel(tiny, { seed: 12 });
    const prompts = [
      [1, 4],
      [1, 8, 3, 3, 7],
    ];
    const batch = await generate(model, prompts, { maxNewTokens: 6, temperature: 0 });
    for (const [row, prompt] of prompts.entries()) {
      const alone = await generate(model, [prompt], { maxNewTokens: 6, temperature: 0 });
      expect(batch.tokens[row]).toEqual(alone.tokens[0]);
    }
    model.dispose();
  });
});

describe('generate', () => {
  it('is reproducible for a seed and varies across seeds', async () => {
    await useBackend('cpu');
    const model = new LlamaModel(tiny, { seed: 13 });
    const run = (seed: number) => generate(model, [[1]], { maxNewTokens: 15, temperature: 1, seed });
    const [a, b, c] = await Promise.all([run(1), run(1), run(2)]);
    expect(a.tokens).toEqual(b.tokens);
    expect(a.tokens).not.toEqual(c.tokens);
    model.dispose();
  });

  it('stops at EOS, keeping it, and at the context length', async () => {
    await useBackend('cpu');
    const model = new LlamaModel(tiny, { seed: 14 });
    const free = await generate(model, [[1, 2]], { maxNewTokens: 5, temperature: 0 });
    const eos = free.tokens[0]![2]!;
    const stopped = await generate(model, [[1, 2]], { maxNewTokens: 5, temperature: 0, eosTokenId: eos });
    expect(stopped.tokens[0]).toEqual(free.tokens[0]!.slice(0, free.tokens[0]!.indexOf(eos) + 1));
    expect(stopped.finishReasons).toEqual(['eos']);
    // several end tokens (an end of turn and an end of text): the first one produced stops the row
    const second = free.tokens[0]![3]!;
    const either = await generate(model, [[1, 2]], {
      maxNewTokens: 5,
      temperature: 0,
      eosTokenId: [second, eos],
    });
    expect(either.tokens[0]).toEqual(stopped.tokens[0]);
    const long = await generate(model, [Array(17).fill(3)], { maxNewTokens: 10, temperature: 0 });
    expect(long.tokens[0]).toHaveLength(3); // 17 + 3 = maxSeqLen 20
    expect(long.finishReasons).toEqual(['context']);
    model.dispose();
  });

  it('streams the same tokens it returns, through the iterator and the callback', async () => {
    await useBackend('cpu');
    const model = new LlamaModel(tiny, { seed: 15 });
    const seen: number[] = [];
    const streamed: number[] = [];
    const stream = generateStream(model, [[1, 3]], {
      maxNewTokens: 7,
      temperature: 0.8,
      topK: 10,
      seed: 5,
      onToken: ({ token }) => seen.push(token),
    });
    let result = await stream.next();
    while (!result.done) {
      streamed.push(result.value.token);
      result = await stream.next();
    }
    expect(streamed).toEqual(result.value.tokens[0]);
    expect(seen).toEqual(streamed);
    expect(streamed).toHaveLength(7);
    model.dispose();
  });

  it('leaks nothing when the consumer stops early', async () => {
    await useBackend('cpu');
    const model = new LlamaModel(tiny, { seed: 16 });
    const before = tf.memory().numTensors;
    for await (const event of generateStream(model, [[1]], { maxNewTokens: 10, temperature: 0 })) {
      if (event.index === 2) break;
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it.each([
    [[[]], {}, /prompt 0 is empty/],
    [[[1, 40]], {}, /prompt 0 has token id 40, outside the vocabulary 0…39/],
    [[[1]], { temperature: -1 }, /temperature must be a finite number ≥ 0, got -1/],
    [[[1]], { topP: 0 }, /topP must be in \(0, 1\], got 0/],
    [[[1]], { maxNewTokens: -2 }, /maxNewTokens must be an integer ≥ 0, got -2/],
  ])('rejects bad input %#', async (prompts, options, message) => {
    await useBackend('cpu');
    const model = new LlamaModel(tiny, { init: 'none' });
    await expect(generate(model, prompts as number[][], { maxNewTokens: 3, ...options })).rejects.toThrow(
      message,
    );
    model.dispose();
  });
});

describe.each(['cpu', 'wasm'] as const)('generate with the fused inference kernels on %s', (backend) => {
  afterAll(() => unregisterFusedKernels());
  /** A model whose greedy continuation varies (llama2.c's init at std 0.02 makes nearly flat logits). */
  function varied(config: LlamaConfigInput, seed: number): LlamaModel {
    const model = new LlamaModel(config, { seed });
    for (const variable of Object.values(model.parameters())) {
      if (variable.rank === 2) tf.tidy(() => variable.assign(tf.mul(variable, 25)));
    }
    return model;
  }

  it.each([
    { label: 'grouped KV heads (G = 2), head dim 8', config: { ...tiny, maxSeqLen: 64 } },
    {
      label: 'one KV head per query head, head dim 6',
      config: { ...tiny, dim: 36, nHeads: 6, nKvHeads: 6, maxSeqLen: 64 },
    },
  ])('gives the composite path greedy tokens, token for token, $label', async ({ config }) => {
    await useBackend(backend);
    const model = varied(config, 21);
    const before = tf.memory().numTensors;
    const options = { maxNewTokens: 40, temperature: 0 }; // the cache's buffers grow twice on the way
    registerFusedKernels();
    const fused = await generate(model, [[1, 7, 3]], options);
    unregisterFusedKernels();
    const composite = await generate(model, [[1, 7, 3]], options);
    expect(fused.tokens).toEqual(composite.tokens);
    expect(new Set(fused.tokens[0]).size).toBeGreaterThan(3); // a continuation worth comparing
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('gives a left-padded batch the composite path tokens', async () => {
    await useBackend(backend);
    const model = varied(tiny, 22);
    const prompts = [
      [1, 4],
      [1, 8, 3, 3, 7],
    ];
    const options = { maxNewTokens: 8, temperature: 0 };
    registerFusedKernels();
    const fused = await generate(model, prompts, options);
    unregisterFusedKernels();
    expect(fused.tokens).toEqual((await generate(model, prompts, options)).tokens);
    model.dispose();
  });

  it('keeps the number of tensors constant from one decoded token to the next', async () => {
    await useBackend(backend);
    registerFusedKernels();
    const model = varied({ ...tiny, maxSeqLen: 64 }, 23);
    const counts: number[] = [];
    for await (const _ of generateStream(model, [[1]], { maxNewTokens: 40, temperature: 0 })) {
      counts.push(tf.memory().numTensors);
    }
    // model, output head and two cache buffers per layer: nothing accumulates as the cache grows
    expect(new Set(counts).size).toBe(1);
    model.dispose();
  });
});
