import { defineConfig } from 'tsup';

export default defineConfig({
  // The loop runs anywhere tfjs does; `@mini-llama/trainer/node` adds checkpoints and metrics files.
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // Both entries share one copy of each class, in CJS too.
  splitting: true,
});
