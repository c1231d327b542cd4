import { useBackend } from '@mini-llama/backends';
import { PARITY_BACKENDS } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { RotaryEmbedding } from './index.js';
import { expectClose, randomValues } from './test-helpers.js';

/**
 * RoFormer (Su et al. 2021, eq. 34) in float64, Meta layout: in each head, the pair (2i, 2i+1) is rotated by
 * the angle position · θ^(−2i/headDim). x is row-major [B, T, H, headDim]; positions[b][t] is token (b, t)'s.
 * `direction` −1 rotates backwards (the inverse, which is also the transpose).
 */
function referenceRotary(
  x: ArrayLike<number>,
  shape: [number, number, number, number],
  positions: number[][],
  theta = 10000,
  direction = 1,
): Float64Array {
  const [B, T, H, headDim] = shape;
  const out = new Float64Array(x.length);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const position = positions[b]![t]!;
      for (let h = 0; h < H; h++) {
        const at = ((b * T + t) * H + h) * headDim;
        for (let i = 0; i < headDim / 2; i++) {
          const angle = direction * position * theta ** ((-2 * i) / headDim);
          const [even, odd] = [x[at + 2 * i]!, x[at + 2 * i + 1]!];
          out[at + 2 * i] = even * Math.cos(angle) - odd * Math.sin(angle);
          out[at + 2 * i + 1] = even * Math.sin(angle) + odd * Math.cos(angle);
        }
      }
    }
  }
  return out;
}

const range = (start: number, length: number) => Array.from({ length }, (_, i) => start + i);

const B = 2;
const T = 5;
const H = 3;
const HEAD_DIM = 8;
const MAX_SEQ_LEN = 16;
const SHAPE: [number, number, number, number] = [B, T, H, HEAD_DIM];
const SIZE = B * T * H * HEAD_DIM;

describe.each(PARITY_BACKENDS)('RotaryEmbedding on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });

  it.each([
    { offset: 0, theta: 10000 },
    { offset: 9, theta: 10000 },
    { offset: 3, theta: 50 }, // a small base makes the slow pairs turn too, so a wrong exponent shows
  ])('equals the RoFormer formula at offset $offset with θ = $theta', ({ offset, theta }) => {
    const before = tf.memory().numTensors;
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN, theta });
    const x = randomValues(SIZE, 21);
    const y = tf.tidy(() => rotary.apply(tf.tensor(x, SHAPE), offset));
    expect(y.shape).toEqual(SHAPE);
    expectClose(y.dataSync(), referenceRotary(x, SHAPE, [range(offset, T), range(offset, T)], theta), 1e-5);
    y.dispose();
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('at an offset equals the same tokens sliced out of a longer sequence', () => {
    const before = tf.memory().numTensors;
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
    const [sliced, shifted] = tf.tidy(() => {
      const long = tf.tensor(randomValues(B * 12 * H * HEAD_DIM, 22), [B, 12, H, HEAD_DIM]);
      const window = tf.slice(long, [0, 7, 0, 0], [B, T, H, HEAD_DIM]);
      return [tf.slice(rotary.apply(long), [0, 7, 0, 0], [B, T, H, HEAD_DIM]), rotary.apply(window, 7)];
    });
    expectClose(shifted.dataSync(), sliced.dataSync(), 1e-6);
    tf.dispose([sliced, shifted]);
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with a positions tensor [B, T] equals each row at its own numeric offset', () => {
    const before = tf.memory().numTensors;
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
    const x = randomValues(SIZE, 23);
    const [perToken, perRow] = tf.tidy(() => {
      const input = tf.tensor(x, SHAPE);
      const positions = tf.tensor2d([range(2, T), range(9, T)], [B, T], 'int32');
      const rows = [0, 1].map((b) => tf.slice(input, [b, 0, 0, 0], [1, T, H, HEAD_DIM]));
      return [
        rotary.apply(input, positions),
        tf.concat([rotary.apply(rows[0]!, 2), rotary.apply(rows[1]!, 9)]),
      ];
    });
    expect(perToken.shape).toEqual(SHAPE);
    expectClose(perToken.dataSync(), perRow.dataSync(), 1e-6);
    tf.dispose([perToken, perRow]);
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('takes a positions tensor as positions when tensors carry chained cos/sin methods', () => {
    // Importing @tensorflow/tfjs (tfjs-node does) adds chained ops to every tensor, cos and sin among them: a
    // positions tensor must still not pass for precomputed tables (found by the parity tests on tensorflow).
    const prototype = tf.Tensor.prototype as unknown as Record<string, unknown>;
    const added = ['cos', 'sin'].filter((name) => !(name in prototype));
    for (const name of added) prototype[name] = () => {};
    try {
      const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
      const x = randomValues(SIZE, 29);
      const [fromTensor, fromOffset] = tf.tidy(() => {
        const input = tf.tensor(x, SHAPE);
        const positions = tf.tensor2d([range(3, T), range(3, T)], [B, T], 'int32');
        return [rotary.apply(input, positions), rotary.apply(input, 3)];
      });
      expectClose(fromTensor.dataSync(), fromOffset.dataSync(), 1e-6);
      tf.dispose([fromTensor, fromOffset]);
      rotary.dispose();
    } finally {
      for (const name of added) delete prototype[name];
    }
  });

  it('with a positions tensor follows arbitrary per-token positions (a left-padded row)', () => {
    const before = tf.memory().numTensors;
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
    const positions = [
      [0, 0, 0, 1, 2],
      [4, 1, 15, 0, 7],
    ];
    const x = randomValues(SIZE, 24);
    const y = tf.tidy(() => rotary.apply(tf.tensor(x, SHAPE), tf.tensor2d(positions, [B, T], 'int32')));
    expectClose(y.dataSync(), referenceRotary(x, SHAPE, positions), 1e-5);
    y.dispose();
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('makes q·k depend only on the relative position m − n', () => {
    const before = tf.memory().numTensors;
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
    const q = randomValues(HEAD_DIM, 25);
    const k = randomValues(HEAD_DIM, 26);
    // The same q (head 0) and k (head 1) at every position 0 … 15, rotated in one call.
    const rotated = tf.tidy(() => {
      const pair = tf.stack([tf.tensor1d(q), tf.tensor1d(k)]); // [2, hd]
      return rotary.apply(tf.tile(tf.reshape(pair, [1, 1, 2, HEAD_DIM]), [1, MAX_SEQ_LEN, 1, 1]));
    });
    const values = rotated.dataSync() as Float32Array;
    const at = (position: number, head: number) =>
      values.slice((position * 2 + head) * HEAD_DIM, (position * 2 + head + 1) * HEAD_DIM);
    const score = (m: number, n: number) => at(m, 0).reduce((sum, v, d) => sum + v * at(n, 1)[d]!, 0);
    for (const [m, n] of [
      [5, 2],
      [3, 0],
      [15, 12],
      [9, 6],
    ] as const) {
      expect(score(m, n)).toBeCloseTo(score(3, 0), 5);
    }
    expect(score(2, 5)).toBeCloseTo(score(10, 13), 5);
    // …and it does depend on m − n: a different offset gives a different score.
    expect(Math.abs(score(4, 0) - score(3, 0))).toBeGreaterThan(1e-2);
    expect(Math.abs(score(2, 5) - score(5, 2))).toBeGreaterThan(1e-2);
    rotated.dispose();
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('has the inverse rotation as its gradient (rotations are orthogonal)', () => {
    const before = tf.memory().numTensors;
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
    const upstream = randomValues(SIZE, 27);
    const gradient = tf.tidy(() => {
      const dy = tf.tensor(upstream, SHAPE);
      return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(rotary.apply(x, 4), dy)))(
        tf.tensor(randomValues(SIZE, 28), SHAPE),
      );
    });
    expectClose(
      gradient.dataSync(),
      referenceRotary(upstream, SHAPE, [range(4, T), range(4, T)], 10000, -1),
      1e-5,
    );
    gradient.dispose();
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects positions outside the table with an error that names them', () => {
    const before = tf.memory().numTensors;
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
    tf.tidy(() => {
      const x = tf.zeros(SHAPE);
      expect(() => rotary.apply(x, 12)).toThrow('RotaryEmbedding: positions 12…16 fall outside 0…15');
      expect(() => rotary.apply(x, -1)).toThrow('RotaryEmbedding: positions -1…3 fall outside 0…15');
      expect(() => rotary.apply(x, 1.5)).toThrow(/RotaryEmbedding: positions 1\.5/);
      expect(() => rotary.apply(x, 11)).not.toThrow(); // 11 … 15: the last valid window
      // A positions tensor is checked by gather, whose message names the bad index and the valid range.
      const beyond = tf.tensor2d([range(0, T), [0, 1, 2, 3, 16]], [B, T], 'int32');
      expect(() => rotary.apply(x, beyond)).toThrow('index value 16 is not in [0, 15]');
      expect(() => rotary.apply(x, tf.zeros([B, T + 1], 'int32'))).toThrow(
        `RotaryEmbedding: positions have shape [${B},${T + 1}], expected [${B}, ${T}]`,
      );
    });
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects an odd headDim, a bad table size and a wrong input shape', () => {
    const before = tf.memory().numTensors;
    expect(() => new RotaryEmbedding({ headDim: 7, maxSeqLen: 8 })).toThrow(
      'RotaryEmbedding: headDim must be a positive even integer, got 7',
    );
    expect(() => new RotaryEmbedding({ headDim: 8, maxSeqLen: 0 })).toThrow(
      'RotaryEmbedding: maxSeqLen must be a positive integer, got 0',
    );
    expect(() => new RotaryEmbedding({ headDim: 8, maxSeqLen: 8, theta: -1 })).toThrow(
      'RotaryEmbedding: theta must be positive, got -1',
    );
    const rotary = new RotaryEmbedding({ headDim: HEAD_DIM, maxSeqLen: MAX_SEQ_LEN });
    tf.tidy(() => {
      expect(() => rotary.apply(tf.zeros([B, T, H * HEAD_DIM]))).toThrow(
        `RotaryEmbedding: input has shape [${B},${T},${H * HEAD_DIM}], expected [B, T, H, ${HEAD_DIM}]`,
      );
      expect(() => rotary.apply(tf.zeros([B, T, H, HEAD_DIM + 2]))).toThrow(/expected \[B, T, H, 8\]/);
    });
    rotary.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('RotaryEmbedding tables', () => {
  it('precomputed tables rotate exactly as the positions they came from', async () => {
    await useBackend('cpu');
    const rotary = new RotaryEmbedding({ headDim: 8, maxSeqLen: 16 });
    const x = tf.tensor4d(randomValues(2 * 3 * 2 * 8, 17), [2, 3, 2, 8]);
    const positions = tf.tensor2d(
      [
        [4, 5, 6],
        [0, 0, 1],
      ],
      [2, 3],
      'int32',
    );
    for (const where of [5, positions]) {
      const direct = rotary.apply(x, where);
      const tables = rotary.tables(where, 2, 3);
      const viaTables = rotary.apply(x, tables);
      expect(Array.from(viaTables.dataSync())).toEqual(Array.from(direct.dataSync()));
      tf.dispose([direct, viaTables, tables.cos, tables.sin]);
    }
    expect(() => rotary.tables(15, 1, 3)).toThrow(/positions 15…17 fall outside 0…15/);
    tf.dispose([x, positions]);
    rotary.dispose();
  });
});
