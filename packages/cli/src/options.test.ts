import { describe, expect, it } from 'vitest';
import { decimalInteger, nonNegativeInteger, positiveInteger, tokenList, wasmThreads } from './options.js';

describe('flag values', () => {
  it('takes integers only as decimal digits', () => {
    expect(decimalInteger(' 42 ')).toBe(42);
    for (const text of ['1e2', '0x10', '0b1', '1.0', '+5', '-1', '', ' ', '12abc']) {
      expect(decimalInteger(text), text).toBeNaN();
    }
    expect(positiveInteger('--steps')('300')).toBe(300);
    expect(() => positiveInteger('--steps')('1e3')).toThrow("--steps must be a positive integer, got '1e3'");
    expect(() => positiveInteger('--steps')('0')).toThrow("got '0'");
    expect(nonNegativeInteger('--warmup')('0')).toBe(0);
    expect(() => nonNegativeInteger('--warmup')('0x10')).toThrow(
      "--warmup must be an integer ≥ 0, got '0x10'",
    );
    expect(() => wasmThreads('2.0')).toThrow("--threads must be an integer from 1 to 8, got '2.0'");
  });

  it('reads token ids as comma-separated decimal integers', () => {
    expect(tokenList('--prompt-tokens')('1, 2,30')).toEqual([1, 2, 30]);
    for (const text of ['1e2', '0x10', '1,,2', '1,-2', '3.5', '1,2,']) {
      expect(() => tokenList('--prompt-tokens')(text), text).toThrow(
        `--prompt-tokens must be comma-separated token ids (integers ≥ 0), got '${text}'`,
      );
    }
  });
});
