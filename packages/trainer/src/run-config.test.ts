import { describe, expect, it } from 'vitest';
import { parseRunConfig } from './index.js';

describe('parseRunConfig', () => {
  it('fills defaults', () => {
    const config = parseRunConfig({ data: { train: ['a.txt'] }, training: { steps: 10, batchSize: 4 } });
    expect(config.training).toMatchObject({
      gradAccum: 1,
      lr: 5e-4,
      schedule: 'cosine',
      clip: 1,
      onNan: 'stop',
    });
    expect(config.data.order).toBe('shuffled');
    expect(config.backend).toBe('auto');
  });

  it('takes every backend name', () => {
    for (const backend of ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const) {
      const config = parseRunConfig({
        data: { train: ['a.txt'] },
        training: { steps: 1, batchSize: 1 },
        backend,
      });
      expect(config.backend).toBe(backend);
    }
  });

  it('names every bad field and the file', () => {
    let message = '';
    try {
      parseRunConfig(
        {
          model: { dim: -1, colour: 'red' },
          data: { train: [] },
          training: { steps: 1.5, batchSize: 4, schedule: 'step' },
        },
        'run.json',
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^run\.json: /);
    for (const field of [
      /model\.dim: /,
      /model: .*colour/,
      /data\.train: /,
      /training\.steps: /,
      /training\.schedule: /,
    ]) {
      expect(message).toMatch(field);
    }
  });
});
