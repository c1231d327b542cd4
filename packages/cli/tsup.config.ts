import { defineConfig } from 'tsup';

export default defineConfig({
  // `bin` is the executable (its `#!/usr/bin/env node` line is kept by esbuild, and tsup marks the file
  // executable); `index` exports createProgram/runCli for tests and for tools that embed the CLI.
  entry: { bin: 'src/bin.ts', index: 'src/index.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  splitting: true,
});
