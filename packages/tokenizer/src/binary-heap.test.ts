import { describe, expect, it } from 'vitest';
import { BinaryHeap } from './binary-heap.js';

describe('BinaryHeap', () => {
  it('pops in the order of its comparison, as a sort would', () => {
    const values = Array.from({ length: 200 }, (_, i) => (i * 7919) % 211);
    const heap = new BinaryHeap<number>((a, b) => a > b);
    for (const value of values) heap.push(value);
    const popped: number[] = [];
    for (let value = heap.pop(); value !== undefined; value = heap.pop()) popped.push(value);
    expect(popped).toEqual([...values].sort((a, b) => b - a));
  });
});
