import { useBackend } from '@mini-llama/backends';
import { PARITY_BACKENDS } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { Embedding } from './index.js';
import { expectClose } from './test-helpers.js';

const VOCAB = 5;
const DIM = 3;
/** Row r of the table is [10r, 10r + 1, 10r + 2], so every looked-up value names its row. */
const TABLE = Array.from({ length: VOCAB }, (_, row) => [10 * row, 10 * row + 1, 10 * row + 2]);

function makeEmbedding(): Embedding {
  const embedding = new Embedding({ numEmbeddings: VOCAB, embeddingDim: DIM });
  tf.tidy(() => embedding.weight.assign(tf.tensor2d(TABLE)));
  return embedding;
}

describe.each(PARITY_BACKENDS)('Embedding on %s', (backend) => {
  beforeEach(async () => {
    await useBackend(backend);
  });

  it('looks up the rows of its ids and keeps their shape', () => {
    const before = tf.memory().numTensors;
    const embedding = makeEmbedding();
    const ids = [
      [4, 0, 2],
      [1, 1, 3],
    ];
    const vectors = tf.tidy(() => embedding.apply(tf.tensor2d(ids, [2, 3], 'int32')));
    expect(vectors.shape).toEqual([2, 3, DIM]);
    expect(Array.from(vectors.dataSync())).toEqual(ids.flat().flatMap((id) => TABLE[id]!));
    vectors.dispose();
    expect(Object.keys(embedding.parameters())).toEqual(['weight']);
    embedding.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('accumulates the gradient of repeated ids into their row (hand computation)', () => {
    const before = tf.memory().numTensors;
    const embedding = makeEmbedding();
    const ids = [3, 1, 3, 3, 0, 1]; // row 3 three times, row 1 twice, rows 2 and 4 never
    const upstream = ids.map((_, position) => [position + 1, -(position + 1) / 2, (position + 1) ** 2]);
    const { value, grads } = tf.tidy(() => {
      const dy = tf.tensor2d(upstream);
      return tf.variableGrads(
        () =>
          tf.sum(
            tf.mul(
              embedding.apply(tf.tensor2d([ids.slice(0, 3), ids.slice(3)], [2, 3], 'int32')),
              tf.reshape(dy, [2, 3, DIM]),
            ),
          ) as tf.Scalar,
      );
    });
    const expected = Array.from({ length: VOCAB }, () => [0, 0, 0]);
    ids.forEach((id, position) => {
      for (let d = 0; d < DIM; d++) expected[id]![d]! += upstream[position]![d]!;
    });
    // Row 3 gets positions 1, 3, 4 (1-based): [8, -4, 26]; row 1 gets 2 and 6: [8, -4, 40].
    expect(expected[3]).toEqual([8, -4, 26]);
    expectClose(grads[embedding.weight.name]!.dataSync(), expected.flat(), 1e-6);
    tf.dispose([value, grads]);
    embedding.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains on every backend: one SGD step moves exactly the looked-up rows', () => {
    const before = tf.memory().numTensors;
    const embedding = makeEmbedding();
    const optimizer = tf.train.sgd(0.5);
    tf.tidy(() => {
      optimizer.minimize(() => tf.sum(embedding.apply(tf.tensor1d([2, 2, 4], 'int32'))) as tf.Scalar);
    });
    // Row 2 was looked up twice and row 4 once: they move by lr × count.
    expect(Array.from(embedding.weight.dataSync())).toEqual([
      ...TABLE[0]!,
      ...TABLE[1]!,
      ...TABLE[2]!.map((v) => v - 1),
      ...TABLE[3]!,
      ...TABLE[4]!.map((v) => v - 0.5),
    ]);
    optimizer.dispose();
    embedding.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it(
    backend === 'wasm'
      ? "has a gradient where tfjs's own gather gradient fails (no UnsortedSegmentSum kernel on wasm)"
      : "has the same gradient as tfjs's own gather gradient",
    () => {
      const before = tf.memory().numTensors;
      const embedding = makeEmbedding();
      const { value, grads } = tf.variableGrads(
        () => tf.tidy(() => tf.sum(embedding.apply(tf.tensor1d([2, 2, 4], 'int32')))) as tf.Scalar,
      );
      const ours = Array.from(grads[embedding.weight.name]!.dataSync());
      expect(ours).toEqual([0, 0, 0, 0, 0, 0, 2, 2, 2, 0, 0, 0, 1, 1, 1]);
      tf.dispose([value, grads]);
      embedding.dispose();
      expect(tf.memory().numTensors).toBe(before);

      const tfjsGatherGrad = () =>
        tf.tidy(() => {
          const table = tf.tensor2d(TABLE);
          const ids = tf.tensor1d([2, 2, 4], 'int32');
          return tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, ids)))(table);
        });
      if (backend === 'wasm') {
        // The default gradient of gather is UnsortedSegmentSum, which wasm lacks (tfjs issue 8082): this is why
        // Embedding has its own scatter gradient. (The failed tf.grad leaks the tensors it saved for the
        // backward pass, out of reach of tidy, so no leak count is asserted after it.)
        expect(tfjsGatherGrad).toThrow("Kernel 'UnsortedSegmentSum' not registered for backend 'wasm'");
      } else {
        const reference = tfjsGatherGrad();
        expect(Array.from(reference.dataSync())).toEqual(ours);
        reference.dispose();
        expect(tf.memory().numTensors).toBe(before);
      }
    },
  );

  it('rejects non-int32 ids and bad sizes with messages that name the argument', () => {
    const before = tf.memory().numTensors;
    const embedding = makeEmbedding();
    tf.tidy(() => {
      expect(() => embedding.apply(tf.tensor1d([1, 2]))).toThrow(
        'Embedding: ids have dtype float32, expected int32',
      );
    });
    expect(() => new Embedding({ numEmbeddings: 0, embeddingDim: 4 })).toThrow(
      'Embedding: numEmbeddings must be a positive integer, got 0',
    );
    expect(() => new Embedding({ numEmbeddings: 4, embeddingDim: 2.5 })).toThrow(
      'Embedding: embeddingDim must be a positive integer, got 2.5',
    );
    embedding.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
