import { defineConfig } from 'tsup';

export default defineConfig({
  // `@mini-llama/peft-lora` reads and writes adapters as bytes (runs anywhere tfjs does);
  // `@mini-llama/peft-lora/node` adds saveAdapter / loadAdapter on directories.
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // Both entries share one copy of LoraModel (instanceof must hold across them), in CJS too.
  splitting: true,
});
