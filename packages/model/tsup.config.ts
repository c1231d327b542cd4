import { defineConfig } from 'tsup';

export default defineConfig({
  // `@mini-llama/model` runs anywhere tfjs does; `@mini-llama/model/node` adds file I/O with node:fs.
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // Both entries share one copy of LlamaModel (instanceof must hold across them), in CJS too.
  splitting: true,
});
