import { defineProject } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared';

// The end-to-end test builds the page with Vite itself and drives Chromium; in Node it only writes the checkpoint
// a loopback Hub serves to the page (workspace packages from their sources, as every package's tests).
export default defineProject({
  ...sharedTestConfig,
  test: {
    ...sharedTestConfig.test,
    include: ['e2e.test.ts', 'bench.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
