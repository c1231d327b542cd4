import { useBackend } from '@mini-llama/backends';
import { PARITY_BACKENDS } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { attendBatched, attendPerGroup } from './attention.js';
import { causalMask, GroupedQueryAttention, LayerKvCache, paddingMask, RotaryEmbedding } from './index.js';
import { registerFusedKernels } from './kernels/index.js';
import { expectClose, project, randomValues, withCompositeOps } from './test-helpers.js';

const DIM = 16;
const N_HEADS = 4;
const HEAD_DIM = DIM / N_HEADS;
const B = 2;
const T = 5;
const MAX_SEQ_LEN = 16;

interface Weights {
  q: ArrayLike<number>; // [dim, nHeads·hd]
  k: ArrayLike<number>; // [dim, nKvHeads·hd]
  v: ArrayLike<number>; // [dim, nKvHeads·hd]
  o: ArrayLike<number>; // [nHeads·hd, dim]
}

interface NaiveCall {
  x: ArrayLike<number>; // [batch, length, dim]
  batch: number;
  length: number;
  nKvHeads: number;
  weights: Weights;
  causal: boolean;
  positions?: number[][]; // [batch][length]; default 0 … length-1
  keep?: number[][]; // [batch][length], 1 = real token, 0 = padding
}

/** RoFormer in place on [batch, length, heads, hd]: pair (2i, 2i+1) turns by position · 10000^(−2i/hd). */
function rotate(values: Float64Array, batch: number, length: number, heads: number, positions: number[][]) {
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < length; t++) {
      for (let h = 0; h < heads; h++) {
        const at = ((b * length + t) * heads + h) * HEAD_DIM;
        for (let i = 0; i < HEAD_DIM / 2; i++) {
          const angle = positions[b]![t]! * 10000 ** ((-2 * i) / HEAD_DIM);
          const [even, odd] = [values[at + 2 * i]!, values[at + 2 * i + 1]!];
          values[at + 2 * i] = even * Math.cos(angle) - odd * Math.sin(angle);
          values[at + 2 * i + 1] = even * Math.sin(angle) + odd * Math.cos(angle);
        }
      }
    }
  }
}

/**
 * Attention written out with loops, as in the Llama reference code: K/V head h / (nHeads / nKvHeads) serves
 * query head h (repeat_kv), scores scaled by 1/sqrt(hd), softmax over the keys the query may see.
 */
function naiveAttention({ x, batch, length, nKvHeads, weights, causal, positions, keep }: NaiveCall) {
  const rows = batch * length;
  const q = project(x, weights.q, rows, DIM, N_HEADS * HEAD_DIM); // [batch, length, nHeads, hd]
  const k = project(x, weights.k, rows, DIM, nKvHeads * HEAD_DIM); // [batch, length, nKvHeads, hd]
  const v = project(x, weights.v, rows, DIM, nKvHeads * HEAD_DIM);
  const at = positions ?? Array.from({ length: batch }, () => Array.from({ length }, (_, t) => t));
  rotate(q, batch, length, N_HEADS, at);
  rotate(k, batch, length, nKvHeads, at);
  const groupSize = N_HEADS / nKvHeads;
  const heads = new Float64Array(rows * N_HEADS * HEAD_DIM); // [batch, length, nHeads, hd]
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < N_HEADS; h++) {
      const kvHead = Math.floor(h / groupSize);
      for (let t = 0; t < length; t++) {
        const visible: number[] = [];
        for (let s = 0; s < length; s++) {
          if ((!causal || s <= t) && (keep?.[b]?.[s] ?? 1) === 1) visible.push(s);
        }
        const scores = visible.map((s) => {
          let dot = 0;
          for (let d = 0; d < HEAD_DIM; d++) {
            dot +=
              q[((b * length + t) * N_HEADS + h) * HEAD_DIM + d]! *
              k[((b * length + s) * nKvHeads + kvHead) * HEAD_DIM + d]!;
          }
          return dot / Math.sqrt(HEAD_DIM);
        });
        const top = Math.max(...scores);
        const exps = scores.map((score) => Math.exp(score - top));
        const total = exps.reduce((sum, e) => sum + e, 0);
        for (let d = 0; d < HEAD_DIM; d++) {
          let sum = 0;
          visible.forEach((s, j) => {
            sum += (exps[j]! / total) * v[((b * length + s) * nKvHeads + kvHead) * HEAD_DIM + d]!;
          });
          heads[((b * length + t) * N_HEADS + h) * HEAD_DIM + d] = sum;
        }
      }
    }
  }
  return project(heads, weights.o, rows, N_HEADS * HEAD_DIM, DIM); // [batch, length, dim]
}

function randomWeights(nKvHeads: number, seed: number): Weights {
  return {
    q: randomValues(DIM * N_HEADS * HEAD_DIM, seed, 0.6),
    k: randomValues(DIM * nKvHeads * HEAD_DIM, seed + 1, 0.6),
    v: randomValues(DIM * nKvHeads * HEAD_DIM, seed + 2, 0.6),
    o: randomValues(N_HEADS * HEAD_DIM * DIM, seed + 3, 0.6),
  };
}

/** A layer with the given weights; our Linear stores [in, out], the layout `Weights` uses. */
function makeAttention(nKvHeads: number, weights: Weights, causal = true): GroupedQueryAttention {
  const attention = new GroupedQueryAttention({ dim: DIM, nHeads: N_HEADS, nKvHeads, causal });
  tf.tidy(() => {
    attention.qProj.weight.assign(tf.tensor2d(Float32Array.from(weights.q), [DIM, N_HEADS * HEAD_DIM]));
    attention.kProj.weight.assign(tf.tensor2d(Float32Array.from(weights.k), [DIM, nKvHeads * HEAD_DIM]));
    attention.vProj.weight.assign(tf.tensor2d(Float32Array.from(weights.v), [DIM, nKvHeads * HEAD_DIM]));
    attention.oProj.weight.assign(tf.tensor2d(Float32Array.from(weights.o), [N_HEADS * HEAD_DIM, DIM]));
  });
  return attention;
}

/** Row-major values of x[:, start : start + count, :] for x [batch, length, dim]. */
function sliceTokens(x: ArrayLike<number>, batch: number, length: number, start: number, count: number) {
  const out: number[] = [];
  for (let b = 0; b < batch; b++) {
    for (let t = start; t < start + count; t++) {
      for (let d = 0; d < DIM; d++) out.push(x[(b * length + t) * DIM + d]!);
    }
  }
  return out;
}

const KV_HEAD_COUNTS = [
  { nKvHeads: N_HEADS, label: 'multi-head (nKvHeads = nHeads)' },
  { nKvHeads: 2, label: 'grouped (2 query heads per KV head)' },
  { nKvHeads: 1, label: 'multi-query (one KV head)' },
];

describe.each(PARITY_BACKENDS)('GroupedQueryAttention on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });

  it.each(KV_HEAD_COUNTS)('equals a naive causal attention, $label', ({ nKvHeads }) => {
    const before = tf.memory().numTensors;
    const weights = randomWeights(nKvHeads, 100 + nKvHeads);
    const attention = makeAttention(nKvHeads, weights);
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
    const x = randomValues(B * T * DIM, 31);
    const y = tf.tidy(() => attention.apply(tf.tensor3d(x, [B, T, DIM]), { rotary }));
    expect(y.shape).toEqual([B, T, DIM]);
    const expected = naiveAttention({ x, batch: B, length: T, nKvHeads, weights, causal: true });
    expectClose(y.dataSync(), expected, 1e-5);
    y.dispose();
    attention.dispose();
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('equals the naive attention at a numeric position offset and with per-token positions', () => {
    const before = tf.memory().numTensors;
    const weights = randomWeights(2, 110);
    const attention = makeAttention(2, weights);
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
    const x = randomValues(B * T * DIM, 32);
    const positions = [
      [6, 7, 8, 9, 10],
      [0, 2, 4, 6, 8],
    ];
    const [shifted, perToken] = tf.tidy(() => {
      const input = tf.tensor3d(x, [B, T, DIM]);
      return [
        attention.apply(input, { rotary, positions: 6 }),
        attention.apply(input, { rotary, positions: tf.tensor2d(positions, [B, T], 'int32') }),
      ];
    });
    const offsetPositions = [positions[0]!, positions[0]!];
    expectClose(
      shifted.dataSync(),
      naiveAttention({
        x,
        batch: B,
        length: T,
        nKvHeads: 2,
        weights,
        causal: true,
        positions: offsetPositions,
      }),
      1e-5,
    );
    expectClose(
      perToken.dataSync(),
      naiveAttention({ x, batch: B, length: T, nKvHeads: 2, weights, causal: true, positions }),
      1e-5,
    );
    tf.dispose([shifted, perToken]);
    attention.dispose();
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is causal: changing the last token changes no earlier output', () => {
    const before = tf.memory().numTensors;
    const attention = makeAttention(2, randomWeights(2, 120));
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
    const x = randomValues(B * T * DIM, 33);
    const changed = Float32Array.from(x);
    for (let b = 0; b < B; b++) changed.set(randomValues(DIM, 34 + b), (b * T + T - 1) * DIM);
    const [original, edited] = tf.tidy(() => [
      attention.apply(tf.tensor3d(x, [B, T, DIM]), { rotary }),
      attention.apply(tf.tensor3d(changed, [B, T, DIM]), { rotary }),
    ]);
    const originalValues = original.dataSync();
    const editedValues = edited.dataSync();
    expectClose(sliceTokens(editedValues, B, T, 0, T - 1), sliceTokens(originalValues, B, T, 0, T - 1), 1e-6);
    const lastDelta = sliceTokens(editedValues, B, T, T - 1, 1).map((v, i) =>
      Math.abs(v - sliceTokens(originalValues, B, T, T - 1, 1)[i]!),
    );
    expect(Math.max(...lastDelta)).toBeGreaterThan(1e-3);
    tf.dispose([original, edited]);
    attention.dispose();
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('takes rows [B·T, dim] with the batch size and gives what [B, T, dim] gives, as rows', () => {
    const before = tf.memory().numTensors;
    const attention = makeAttention(2, randomWeights(2, 125));
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
    const x = randomValues(B * T * DIM, 36);
    const [asSequences, asRows] = tf.tidy(() => [
      attention.apply(tf.tensor3d(x, [B, T, DIM]), { rotary }),
      attention.apply(tf.tensor2d(x, [B * T, DIM]), { rotary, batch: B }),
    ]);
    expect(asRows!.shape).toEqual([B * T, DIM]);
    expect(Array.from(asRows!.dataSync())).toEqual(Array.from(asSequences!.dataSync()));
    tf.tidy(() => {
      expect(() => attention.apply(tf.zeros([B * T, DIM]), { rotary })).toThrow(/with the batch size/);
    });
    tf.dispose([asSequences!, asRows!]);
    attention.dispose();
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with causal: false sees the future and equals a naive unmasked attention', () => {
    const before = tf.memory().numTensors;
    const weights = randomWeights(2, 130);
    const attention = makeAttention(2, weights, false);
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
    const x = randomValues(B * T * DIM, 35);
    const changed = Float32Array.from(x);
    changed.set(randomValues(DIM, 36), (T - 1) * DIM); // the last token of row 0
    const [original, edited] = tf.tidy(() => [
      attention.apply(tf.tensor3d(x, [B, T, DIM]), { rotary }),
      attention.apply(tf.tensor3d(changed, [B, T, DIM]), { rotary }),
    ]);
    expectClose(
      original.dataSync(),
      naiveAttention({ x, batch: B, length: T, nKvHeads: 2, weights, causal: false }),
      1e-5,
    );
    const firstBefore = sliceTokens(original.dataSync(), B, T, 0, 1).slice(0, DIM);
    const firstAfter = sliceTokens(edited.dataSync(), B, T, 0, 1).slice(0, DIM);
    expect(Math.max(...firstAfter.map((v, i) => Math.abs(v - firstBefore[i]!)))).toBeGreaterThan(1e-3);
    tf.dispose([original, edited]);
    attention.dispose();
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(KV_HEAD_COUNTS)(
    'through a LayerKvCache, token by token and in two chunks, equals the full forward, $label',
    ({ nKvHeads }) => {
      const before = tf.memory().numTensors;
      const attention = makeAttention(nKvHeads, randomWeights(nKvHeads, 140));
      const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
      const x = randomValues(B * T * DIM, 37);
      const input = tf.tensor3d(x, [B, T, DIM]);
      const full = tf.tidy(() => attention.apply(input, { rotary }));
      const incremental = (chunks: number[]) => {
        const cache = new LayerKvCache();
        let start = 0;
        const outputs = chunks.map((size) => {
          const out = tf.tidy(() =>
            attention.apply(tf.slice(input, [0, start, 0], [B, size, DIM]), {
              rotary,
              positions: cache.length,
              cache,
            }),
          );
          start += size;
          return out;
        });
        expect(cache.length).toBe(T);
        expect(cache.keys!.shape).toEqual([B, nKvHeads, T, HEAD_DIM]);
        const joined = tf.concat(outputs, 1);
        tf.dispose(outputs);
        cache.dispose();
        return joined;
      };
      const tokenByToken = incremental([1, 1, 1, 1, 1]);
      const twoChunks = incremental([3, 2]);
      expectClose(tokenByToken.dataSync(), full.dataSync(), 1e-5);
      expectClose(twoChunks.dataSync(), full.dataSync(), 1e-5);
      tf.dispose([input, full, tokenByToken, twoChunks]);
      attention.dispose();
      rotary.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('with a padding mask added to the causal mask hides pad keys: real tokens match the unpadded run', () => {
    const before = tf.memory().numTensors;
    const weights = randomWeights(2, 150);
    const attention = makeAttention(2, weights);
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
    // Row 0 is left-padded: 2 pads (filled with noise, which must not matter) then 3 real tokens.
    const x = randomValues(B * T * DIM, 38);
    const keep = [
      [0, 0, 1, 1, 1],
      [1, 1, 1, 1, 1],
    ];
    const positions = [
      [0, 0, 0, 1, 2],
      [0, 1, 2, 3, 4],
    ];
    const [padded, shortRow, fullRow] = tf.tidy(() => {
      const mask = tf.add(causalMask(T, T), paddingMask(tf.tensor2d(keep, [B, T], 'int32'))); // [B, 1, T, T]
      const input = tf.tensor3d(x, [B, T, DIM]);
      return [
        attention.apply(input, { rotary, positions: tf.tensor2d(positions, [B, T], 'int32'), mask }),
        attention.apply(tf.slice(input, [0, 2, 0], [1, 3, DIM]), { rotary }),
        attention.apply(tf.slice(input, [1, 0, 0], [1, T, DIM]), { rotary }),
      ];
    });
    const values = padded.dataSync();
    expectClose(sliceTokens(values, B, T, 2, 3).slice(0, 3 * DIM), shortRow.dataSync(), 1e-5);
    expectClose(sliceTokens(values, B, T, 0, T).slice(T * DIM), fullRow.dataSync(), 1e-5);
    // The pads really are visible without the padding mask: the same call with only the causal mask differs.
    const unmasked = tf.tidy(() =>
      attention.apply(tf.tensor3d(x, [B, T, DIM]), {
        rotary,
        positions: tf.tensor2d(positions, [B, T], 'int32'),
      }),
    );
    const leaked = sliceTokens(unmasked.dataSync(), B, T, 2, 1).slice(0, DIM);
    const hidden = sliceTokens(values, B, T, 2, 1).slice(0, DIM);
    expect(Math.max(...leaked.map((v, i) => Math.abs(v - hidden[i]!)))).toBeGreaterThan(1e-3);
    tf.dispose([padded, shortRow, fullRow, unmasked]);
    attention.dispose();
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with causal: false and a padding mask [B, 1, 1, Tk] alone, real tokens match the unpadded run', () => {
    const before = tf.memory().numTensors;
    const weights = randomWeights(2, 160);
    const attention = makeAttention(2, weights, false);
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
    const x = randomValues(B * T * DIM, 39);
    const keep = [
      [1, 1, 1, 0, 0], // right-padded
      [1, 1, 1, 1, 1],
    ];
    const padded = tf.tidy(() =>
      attention.apply(tf.tensor3d(x, [B, T, DIM]), {
        rotary,
        mask: paddingMask(tf.tensor2d(keep, [B, T], 'int32')),
      }),
    );
    const values = padded.dataSync();
    const shortRow = naiveAttention({
      x: sliceTokens(x, 1, T, 0, 3),
      batch: 1,
      length: 3,
      nKvHeads: 2,
      weights,
      causal: false,
    });
    expectClose(sliceTokens(values, B, T, 0, 3).slice(0, 3 * DIM), shortRow, 1e-5);
    expectClose(
      sliceTokens(values, B, T, 0, T).slice(T * DIM),
      naiveAttention({
        x: sliceTokens(x, B, T, 0, T).slice(T * DIM),
        batch: 1,
        length: T,
        nKvHeads: 2,
        weights,
        causal: false,
      }),
      1e-5,
    );
    padded.dispose();
    attention.dispose();
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains: all four projections get finite gradients equal to finite differences of the naive attention', () => {
    const before = tf.memory().numTensors;
    const nKvHeads = 2;
    const weights = randomWeights(nKvHeads, 170);
    const attention = makeAttention(nKvHeads, weights);
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
    const x = randomValues(B * T * DIM, 40);
    const upstream = randomValues(B * T * DIM, 41);
    const { value, grads } = tf.tidy(() => {
      const input = tf.tensor3d(x, [B, T, DIM]);
      const dy = tf.tensor3d(upstream, [B, T, DIM]);
      return tf.variableGrads(() => tf.sum(tf.mul(attention.apply(input, { rotary }), dy)) as tf.Scalar);
    });
    const parameters = attention.parameters();
    expect(Object.keys(parameters)).toEqual([
      'q_proj.weight',
      'k_proj.weight',
      'v_proj.weight',
      'o_proj.weight',
    ]);
    const loss = (changed: Weights) =>
      naiveAttention({ x, batch: B, length: T, nKvHeads, weights: changed, causal: true }).reduce(
        (sum, y, i) => sum + y * upstream[i]!,
        0,
      );
    const step = 1e-4;
    for (const [key, name] of [
      ['q_proj.weight', 'q'],
      ['k_proj.weight', 'k'],
      ['v_proj.weight', 'v'],
      ['o_proj.weight', 'o'],
    ] as const) {
      const variable = parameters[key]!;
      const gradient = grads[variable.name]!;
      expect(gradient.shape).toEqual(variable.shape);
      const gradientValues = gradient.dataSync();
      expect(gradientValues.every(Number.isFinite)).toBe(true);
      expect(gradientValues.some((g) => Math.abs(g) > 1e-4)).toBe(true);
      // Central differences of the float64 naive attention at a few entries of this weight.
      for (const entry of [0, 7, gradientValues.length - 3]) {
        const shift = (delta: number) => {
          const changed = Float64Array.from(weights[name]);
          changed[entry] = changed[entry]! + delta;
          return loss({ ...weights, [name]: changed });
        };
        const numeric = (shift(step) - shift(-step)) / (2 * step);
        expectClose([gradientValues[entry]!], [numeric], 1e-3);
      }
    }
    tf.dispose([value, grads]);
    attention.dispose();
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('has biases on the four projections when asked (HF attention_bias)', () => {
    const before = tf.memory().numTensors;
    const attention = new GroupedQueryAttention({
      dim: DIM,
      nHeads: N_HEADS,
      nKvHeads: 2,
      qkvBias: true,
      outputBias: true,
    });
    const shapes = Object.fromEntries(
      Object.entries(attention.parameters()).map(([key, p]) => [key, p.shape]),
    );
    expect(shapes).toEqual({
      'q_proj.weight': [DIM, DIM],
      'q_proj.bias': [DIM],
      'k_proj.weight': [DIM, 2 * HEAD_DIM],
      'k_proj.bias': [2 * HEAD_DIM],
      'v_proj.weight': [DIM, 2 * HEAD_DIM],
      'v_proj.bias': [2 * HEAD_DIM],
      'o_proj.weight': [DIM, DIM],
      'o_proj.bias': [DIM],
    });
    attention.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad head counts, input shapes and masks with messages that name them', () => {
    const before = tf.memory().numTensors;
    expect(() => new GroupedQueryAttention({ dim: 16, nHeads: 4, nKvHeads: 3 })).toThrow(
      'GroupedQueryAttention: nKvHeads 3 must divide nHeads 4',
    );
    expect(() => new GroupedQueryAttention({ dim: 10, nHeads: 4 })).toThrow(
      'GroupedQueryAttention: dim 10 is not divisible by nHeads 4',
    );
    expect(() => new GroupedQueryAttention({ dim: 16, nHeads: 0 })).toThrow(
      'GroupedQueryAttention: nHeads must be a positive integer, got 0',
    );
    expect(tf.memory().numTensors).toBe(before);
    const attention = makeAttention(2, randomWeights(2, 180));
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
    tf.tidy(() => {
      expect(() => attention.apply(tf.zeros([B, T, DIM - 1]), { rotary })).toThrow(
        `GroupedQueryAttention: input has shape [${B},${T},${DIM - 1}], expected [B, T, ${DIM}]`,
      );
      expect(() => attention.apply(tf.zeros([T, DIM]), { rotary })).toThrow(/input has shape \[5,16\]/);
      expect(() => attention.apply(tf.zeros([B, T, DIM]), { rotary, mask: causalMask(3, 3) })).toThrow(
        `GroupedQueryAttention: mask has shape [3,3], expected one broadcastable to [B, 1, ${T}, ${T}]`,
      );
      expect(() => attention.apply(tf.zeros([B, T, DIM]), { rotary, mask: tf.zeros([B, T, T]) })).toThrow(
        /GroupedQueryAttention: mask has shape \[2,5,5\]/,
      );
    });
    attention.dispose();
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe.each(PARITY_BACKENDS)('attention looped per (row, key/value head) pair on %s', (backend) => {
  it.each([
    ['causal', false],
    ['causal + padding', true],
  ])('equals the batched products in value and gradients (%s)', async (_, padded) => {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const [B, nKv, G, T, hd] = [2, 2, 3, 5, 4];
    const q = tf.tensor4d(randomValues(B * nKv * G * T * hd, 31), [B, nKv, G * T, hd]);
    const k = tf.tensor4d(randomValues(B * nKv * T * hd, 32), [B, nKv, T, hd]);
    const v = tf.tensor4d(randomValues(B * nKv * T * hd, 33), [B, nKv, T, hd]);
    const mask = tf.tidy(() => {
      const causal = tf.reshape(causalMask(T, T), [1, 1, T, T]);
      return padded
        ? tf.add(
            causal,
            paddingMask(
              tf.tensor2d([
                [0, 1, 1, 1, 1],
                [1, 1, 1, 1, 1],
              ]),
            ),
          )
        : causal;
    });
    const grouped = tf.tile(mask, [1, 1, G, 1]);
    const upstream = tf.tensor4d(randomValues(B * nKv * G * T * hd, 34), [B, nKv, G * T, hd]);
    const loss =
      (attend: (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.Tensor) =>
      (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(tf.mul(attend(a, b, c), upstream));
    const looped = tf.valueAndGrads(loss((a, b, c) => attendPerGroup(a, b, c, mask, G)))([q, k, v]);
    const batched = tf.valueAndGrads(loss((a, b, c) => attendBatched(a, b, c, grouped)))([q, k, v]);
    expectClose(looped.value.dataSync(), batched.value.dataSync(), 1e-5);
    for (let i = 0; i < 3; i++) expectClose(looped.grads[i]!.dataSync(), batched.grads[i]!.dataSync(), 1e-5);
    tf.dispose([q, k, v, mask, grouped, upstream, looped.value, looped.grads, batched.value, batched.grads]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe.each(['cpu', 'wasm'] as const)('GroupedQueryAttention with fused kernels on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
    registerFusedKernels();
  });

  it.each(KV_HEAD_COUNTS)(
    'equals the composite path, prompt then token by token through a cache, $label',
    ({ nKvHeads }) => {
      const before = tf.memory().numTensors;
      const attention = makeAttention(nKvHeads, randomWeights(nKvHeads, 160));
      const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
      const input = tf.tensor3d(randomValues(B * T * DIM, 39), [B, T, DIM]);
      // a prompt of 2 tokens, then one token at a time; the fused path writes the cache in place
      const run = () => {
        const cache = new LayerKvCache();
        const outputs = [2, 1, 1, 1].map((size, i) =>
          tf.tidy(() => {
            const start = i === 0 ? 0 : i + 1;
            const tokens = tf.slice(input, [0, start, 0], [B, size, DIM]);
            return attention.apply(tokens, { rotary, positions: cache.length, cache });
          }),
        );
        const joined = tf.concat(outputs, 1); // [B, T, dim]
        tf.dispose(outputs);
        cache.dispose();
        return joined;
      };
      const fused = run();
      const reference = withCompositeOps(run);
      expectClose(fused.dataSync(), reference.dataSync(), 1e-5);
      tf.dispose([input, fused, reference]);
      attention.dispose();
      rotary.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('equals the composite path with per-row positions and a padding mask', () => {
    const before = tf.memory().numTensors;
    const attention = makeAttention(2, randomWeights(2, 170));
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
    const input = tf.tensor3d(randomValues(B * T * DIM, 40), [B, T, DIM]);
    const run = () =>
      tf.tidy(() => {
        const keep = tf.tensor2d(
          [
            [0, 0, 1, 1, 1],
            [1, 1, 1, 1, 1],
          ],
          [B, T],
          'int32',
        );
        const mask = tf.add(causalMask(T, T), paddingMask(keep)); // [B, 1, T, T]
        const positions = tf.tensor2d(
          [
            [0, 0, 0, 1, 2],
            [0, 1, 2, 3, 4],
          ],
          [B, T],
          'int32',
        );
        return attention.apply(input, { rotary, positions, mask });
      });
    const fused = run();
    const reference = withCompositeOps(run);
    expectClose(fused.dataSync(), reference.dataSync(), 1e-5);
    tf.dispose([input, fused, reference]);
    attention.dispose();
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a chunk long enough for the looped attention reads the cache buffers right, then decodes alike', () => {
    const before = tf.memory().numTensors;
    // one token, then 300 (G·T·Tk = 4·300·301 score elements: looped, on buffers with room for 512), then one
    const chunks = [
      [0, 1],
      [1, 300],
      [301, 1],
    ] as const;
    const attention = makeAttention(1, randomWeights(1, 190));
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: 302 });
    const input = tf.tensor3d(randomValues(302 * DIM, 41), [1, 302, DIM]);
    const run = () => {
      const cache = new LayerKvCache();
      const outputs = chunks.map(([start, size]) =>
        tf.tidy(() =>
          attention.apply(tf.slice(input, [0, start, 0], [1, size, DIM]), {
            rotary,
            positions: cache.length,
            cache,
          }),
        ),
      );
      const joined = tf.concat(outputs, 1); // [1, 302, dim]
      tf.dispose(outputs);
      cache.dispose();
      return joined;
    };
    const fused = run();
    const reference = withCompositeOps(run);
    expectClose(fused.dataSync(), reference.dataSync(), 1e-5);
    tf.dispose([input, fused, reference]);
    attention.dispose();
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('runs the fused kernels, and the composite ones when they are unregistered', async () => {
    const attention = makeAttention(2, randomWeights(2, 180));
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
    const kernelsOf = async () => {
      const cache = new LayerKvCache();
      const { kernelNames } = await tf.profile(() => {
        tf.tidy(() => {
          attention.apply(tf.ones([1, 1, DIM]), { rotary, cache });
        });
      });
      cache.dispose();
      return kernelNames;
    };
    const fused = await kernelsOf();
    const composite = await withCompositeOps(kernelsOf);
    expect(fused).toEqual(
      expect.arrayContaining(['MiniLlamaRotaryHeads', 'MiniLlamaKvWrite', 'MiniLlamaAttention']),
    );
    expect(composite.filter((name) => name.startsWith('MiniLlama'))).toEqual([]);
    attention.dispose();
    rotary.dispose();
  });
});
