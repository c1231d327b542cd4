import { defineProject } from 'vitest/config';

// No source condition here: these tests exercise what `pnpm pack` ships.
export default defineProject({
  test: { include: ['src/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 600_000, pool: 'forks' },
});
