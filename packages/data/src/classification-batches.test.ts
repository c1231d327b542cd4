import { ByteTokenizer } from '@mini-llama/tokenizer';
import { describe, expect, it } from 'vitest';
import { classificationBatches } from './classification-batches.js';

describe('classificationBatches', () => {
  const tokenizer = new ByteTokenizer();
  const examples = ['ab', 'c', 'def', 'g', 'hi'].map((text, i) => ({ text, label: i % 2 }));

  it('tokenises with BOS, pads with EOS, and keeps labels with their rows', () => {
    const batches = [...classificationBatches(examples, tokenizer, { batchSize: 2 })];
    expect(batches.map((batch) => batch.batchSize)).toEqual([2, 2, 1]);
    const [first] = batches;
    // BOS = 1, EOS = 2, byte b → b + 3 ('a' = 97 → 100).
    expect([...first!.inputs]).toEqual([1, 100, 101, 1, 102, 2]);
    expect([...first!.attentionMask]).toEqual([1, 1, 1, 1, 1, 0]);
    expect([...first!.lengths]).toEqual([3, 2]);
    expect(batches.flatMap((batch) => [...batch.labels])).toEqual([0, 1, 0, 1, 0]);
  });

  it('shuffles by seed, the same way every time, and can drop the short last batch', () => {
    const order = (seed: number) =>
      [...classificationBatches(examples, tokenizer, { batchSize: 2, seed })].flatMap((batch) =>
        Array.from({ length: batch.batchSize }, (_, row) =>
          tokenizer.decode([...batch.inputs.subarray(row * batch.seqLen, (row + 1) * batch.seqLen)]),
        ),
      );
    expect(order(3)).toEqual(order(3));
    expect([...order(3)].sort()).toEqual(['ab', 'c', 'def', 'g', 'hi']);
    expect(order(3)).not.toEqual(order(4));
    expect([...classificationBatches(examples, tokenizer, { batchSize: 2, keepLast: false })]).toHaveLength(
      2,
    );
  });

  it('puts texts in a prompt template and, when too long, keeps the end where the prompt asks', () => {
    const [batch] = [
      ...classificationBatches([{ text: 'abcdef', label: 1 }], tokenizer, {
        batchSize: 1,
        template: '<{text}>?',
        maxLength: 5,
      }),
    ];
    expect([...batch!.inputs]).toEqual([...tokenizer.encode('def>?')]);
    const [short] = [
      ...classificationBatches([{ text: 'a', label: 0 }], tokenizer, {
        batchSize: 1,
        template: 'x {text} y',
      }),
    ];
    expect([...short!.inputs]).toEqual([...tokenizer.encode('x a y', { bos: true })]);
    expect(() => [
      ...classificationBatches(examples, tokenizer, { batchSize: 1, template: 'no slot' }),
    ]).toThrow('the prompt template "no slot" has no {text} slot');
  });
});
