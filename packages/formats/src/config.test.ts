import { describe, expect, it } from 'vitest';
import { LLAMA_PRESETS, parameterCount, presetConfig, resolveConfig, swiGluHiddenDim } from './index.js';

describe('LlamaConfig', () => {
  it('presets have the tinyllamas shapes and parameter counts', () => {
    const small = presetConfig('stories260K');
    expect(small.hiddenDim).toBe(172); // llama2.c's stories260K checkpoint
    // 512·64 embedding + 5 × (12,288 attention + 3·64·172 feed-forward + 128 norms) + 64 final norm, tied head
    expect(parameterCount(small)).toBe(260_032);
    const fifteen = presetConfig('stories15M');
    expect(fifteen.hiddenDim).toBe(768);
    // 32000·288 + 6 × (4·288² + 3·288·768 + 576) + 288
    expect(parameterCount(fifteen)).toBe(15_191_712);
    expect(Object.keys(LLAMA_PRESETS)).toEqual([
      'stories260K',
      'stories15M',
      'stories42M',
      'stories110M',
      'SmolLM2-135M',
      'TinyLlama-1.1B',
    ]);
  });

  it('has the shapes of SmolLM2-135M and TinyLlama-1.1B, with their parameter counts', () => {
    const smol = presetConfig('SmolLM2-135M');
    expect([smol.headDim, smol.hiddenDim, smol.tieEmbeddings, smol.ropeTheta]).toEqual([
      64,
      1536,
      true,
      100000,
    ]);
    // 49152·576 tied embedding + 30 × (576·(576 + 2·192 + 576) + 3·576·1536 + 2·576) + 576: the model card's 134.5M
    expect(parameterCount(smol)).toBe(134_515_008);
    const tiny = presetConfig('TinyLlama-1.1B');
    expect([tiny.headDim, tiny.hiddenDim, tiny.tieEmbeddings]).toEqual([64, 5632, false]);
    expect(parameterCount(tiny)).toBe(1_100_048_384);
    // Changing the width drops the preset's explicit hidden width for llama2.c's rule.
    expect(presetConfig('SmolLM2-135M', { dim: 64, nHeads: 4, nKvHeads: 2 }).hiddenDim).toBe(
      swiGluHiddenDim(64),
    );
    expect(presetConfig('SmolLM2-135M', { nLayers: 2 }).hiddenDim).toBe(1536);
  });

  it('overrides a preset', () => {
    expect(presetConfig('stories15M', { vocabSize: 512 }).vocabSize).toBe(512);
  });

  it.each([
    [{ dim: 30, nHeads: 4 }, /config\.dim 30 is not divisible by config\.nHeads 4/],
    [{ nKvHeads: 3 }, /config\.nKvHeads 3 does not divide config\.nHeads 4/],
    [{ nLayers: 0 }, /config\.nLayers must be a positive integer, got 0/],
    [{ vocabSize: 1.5 }, /config\.vocabSize must be a positive integer, got 1\.5/],
    [{ dim: 24, nHeads: 8 }, /must be even \(rotary embeddings rotate pairs\)/],
    [{ normEps: -1 }, /config\.normEps must be positive/],
  ])('rejects %o', (override, message) => {
    expect(() =>
      resolveConfig({ dim: 32, nLayers: 2, nHeads: 4, vocabSize: 10, maxSeqLen: 8, ...override }),
    ).toThrow(message);
  });

  it('names an unknown preset', () => {
    expect(() => presetConfig('stories7B')).toThrow(
      /unknown preset "stories7B": expected one of stories260K/,
    );
  });
});

describe('swiGluHiddenDim', () => {
  it('reproduces the hidden widths of published checkpoints', () => {
    expect(swiGluHiddenDim(288, 32)).toBe(768); // llama2.c stories15M
    expect(swiGluHiddenDim(64, 4)).toBe(172); // llama2.c stories260K: 170.67 → 170 → rounded up to 172
    expect(swiGluHiddenDim(4096, 256)).toBe(11008); // Llama 2 7B
    expect(swiGluHiddenDim(4096)).toBe(11008); // multipleOf defaults to Llama 2's 256
    expect(swiGluHiddenDim(5120, 256)).toBe(13824); // Llama 2 13B
  });

  it('rejects a multipleOf that is not a positive integer', () => {
    expect(() => swiGluHiddenDim(64, 0)).toThrow(
      'swiGluHiddenDim: multipleOf must be a positive integer, got 0',
    );
    expect(() => swiGluHiddenDim(64, 2.5)).toThrow(/got 2\.5/);
  });
});
