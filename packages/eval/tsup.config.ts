import { defineConfig } from 'tsup';

export default defineConfig({
  // `@mini-llama/eval` runs wherever tfjs does; `./node` adds files (shards, classifier heads, metrics.jsonl);
  // `./report` renders HTML with Vega-Lite, kept out of the main entry so a browser bundle does not pull it.
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts', 'report/index': 'src/report/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // No code splitting: tsup's CJS splitting rewrites `import('vega')` into `require('vega')`, which fails for
  // vega's ES module (top-level await). Without it esbuild keeps the dynamic import in the CJS build. The
  // entries share no class whose identity matters, so each bundling its own copy of shared code is harmless.
  splitting: false,
});
