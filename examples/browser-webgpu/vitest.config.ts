import { defineProject } from 'vitest/config';

// The end-to-end test builds the page with Vite itself and drives Chromium; it imports no workspace package.
export default defineProject({
  test: {
    include: ['e2e.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
