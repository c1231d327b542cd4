import { describe, expect, it } from 'vitest';
import { lossCurvePoints, parseMetricsJsonl } from './metrics-jsonl.js';

describe('metrics.jsonl', () => {
  it('reads train loss at every line and validation loss where evaluated', () => {
    const text = [
      '{"step":1,"loss":5.5,"lr":0.001,"gradNorm":1,"tokensPerSecond":100}',
      '{"step":2,"loss":5.1,"lr":0.001,"gradNorm":1,"tokensPerSecond":100,"valLoss":5.3,"valPerplexity":200}',
      '',
      '{"step":3,"loss":null,"lr":0.001}',
    ].join('\n');
    expect(() => parseMetricsJsonl(text, 'run/metrics.jsonl')).toThrow(
      /run\/metrics.jsonl:4: expected an object with numeric "step" and "loss"/,
    );
    const lines = parseMetricsJsonl(text.split('\n').slice(0, 3).join('\n'));
    expect(lossCurvePoints(lines)).toEqual([
      { step: 1, loss: 5.5, split: 'train' },
      { step: 2, loss: 5.1, split: 'train' },
      { step: 2, loss: 5.3, split: 'validation' },
    ]);
    expect(() => parseMetricsJsonl('{"step":1,', 'm.jsonl')).toThrow(/m.jsonl:1: invalid JSON/);
  });
});
