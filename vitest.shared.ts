import type { UserWorkspaceConfig } from 'vitest/config';

/**
 * Test settings every package shares. Workspace packages resolve to their TypeScript sources through the
 * `@mini-llama/source` export condition, so a test run needs no build; tests of the built output
 * (`*.dist.test.ts`) import `dist/` on purpose, in a plain Node process.
 *
 * tfjs-core's gradient registrations are ES modules with extensionless imports that Node cannot load, so
 * Vitest must transform them (inline) instead of handing them to Node.
 */
export const sharedTestConfig: UserWorkspaceConfig = {
  resolve: { conditions: ['@mini-llama/source'] },
  ssr: { resolve: { conditions: ['@mini-llama/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Test files run in parallel processes: each gets single-threaded wasm (see defaultWasmThreads); the
    // threaded-wasm tests ask for their threads explicitly.
    env: { MINI_LLAMA_WASM_THREADS: '1' },
    server: { deps: { inline: [/@tensorflow[\\/]tfjs-core[\\/]dist[\\/](?!tf-core)/] } },
  },
};
