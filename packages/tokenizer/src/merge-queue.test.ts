import { describe, expect, it } from 'vitest';
import { MergeQueue } from './merge-queue.js';

describe('MergeQueue', () => {
  it('pops the highest score first and, among equal scores, the leftmost', () => {
    const queue = new MergeQueue();
    const candidates = Array.from({ length: 300 }, (_, i) => ({
      score: -((i * 31) % 7),
      left: (i * 17) % 300,
    }));
    for (const { score, left } of candidates) queue.push(score, left, left + 1, 0, 0, 0);
    const popped: [number, number][] = [];
    while (queue.pop()) popped.push([queue.left, queue.right]);
    const expected = [...candidates].sort((a, b) => b.score - a.score || a.left - b.left);
    expect(popped).toEqual(expected.map(({ left }) => [left, left + 1]));
  });
});
