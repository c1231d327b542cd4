import { describe, expect, it } from 'vitest';
import { slidingWindowCount, slidingWindows } from './sliding-windows.js';

describe('slidingWindows', () => {
  it('lays out a small case as worked out by hand', () => {
    // 10 tokens, 4 inputs per window, stride 2
    expect([...slidingWindows(10, 4, 2)]).toEqual([
      { start: 0, end: 5, scoreFrom: 1 }, // inputs 0-3 score 1-4
      { start: 2, end: 7, scoreFrom: 5 }, // inputs 2-5 score 5-6
      { start: 4, end: 9, scoreFrom: 7 },
      { start: 5, end: 10, scoreFrom: 9 }, // the last window keeps a full context before token 9
    ]);
    // stride = window: llama2.c's windows of T + 1 tokens sharing one
    expect([...slidingWindows(9, 4, 4)]).toEqual([
      { start: 0, end: 5, scoreFrom: 1 },
      { start: 4, end: 9, scoreFrom: 5 },
    ]);
    expect([...slidingWindows(3, 8)]).toEqual([{ start: 0, end: 3, scoreFrom: 1 }]);
    expect([...slidingWindows(1, 8)]).toEqual([]);
  });

  it.each([
    [2, 1, 1],
    [37, 8, 3],
    [100, 16, 16],
    [100, 16, 1],
    [64, 16, 5],
    [17, 16, 8],
  ])(
    'length %i, window %i, stride %i: every token after the first scored once, within the window',
    (length, window, stride) => {
      const windows = [...slidingWindows(length, window, stride)];
      expect(windows).toHaveLength(slidingWindowCount(length, window, stride));
      const timesScored = new Array(length).fill(0);
      windows.forEach(({ start, end, scoreFrom }, index) => {
        expect(end - 1 - start).toBeLessThanOrEqual(window); // inputs fit the context
        expect(scoreFrom).toBeGreaterThan(start);
        // after the first window every scored token has at least window + 1 − stride tokens before it
        if (index > 0) expect(scoreFrom - start).toBeGreaterThanOrEqual(window + 1 - stride);
        for (let t = scoreFrom; t < end; t++) timesScored[t]++;
      });
      expect(timesScored).toEqual([0, ...new Array(length - 1).fill(1)]);
    },
  );

  it('rejects a stride outside 1 … window and bad sizes', () => {
    expect(() => [...slidingWindows(10, 4, 5)]).toThrow(
      /stride must be an integer from 1 to windowSize \(4\), got 5/,
    );
    expect(() => [...slidingWindows(10, 4, 0)]).toThrow(/stride/);
    expect(() => slidingWindowCount(10, 0)).toThrow(/windowSize must be a positive integer/);
    expect(() => slidingWindowCount(-1, 4)).toThrow(/length must be an integer ≥ 0/);
  });
});
