import { BACKEND_REQUESTS } from '@mini-llama/backends';
import { parseRunConfig } from '@mini-llama/trainer';
import { expect, it } from 'vitest';

// pretrain and finetune read their backend from a run configuration (zod, in @mini-llama/trainer), which must
// accept every name useBackend takes: `demo` passes the backend it started (tensorflow, say) on to them.
it('a run configuration takes every backend useBackend takes', () => {
  for (const backend of BACKEND_REQUESTS) {
    const config = parseRunConfig({
      data: { train: ['a.txt'] },
      training: { steps: 1, batchSize: 1 },
      backend,
    });
    expect(config.backend).toBe(backend);
  }
});
