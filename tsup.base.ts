import { defineConfig, type Options } from 'tsup';

/**
 * The build every published package shares: ESM and CommonJS with type declarations and source maps, for
 * Node 20 and current browsers. A package names its entries and adds only what is its own (a comment says why).
 * Entries of one package share one copy of each class (instanceof must hold across `.` and `./node`), so
 * several entries split their common code into chunks.
 */
export function packageBuild(entry: Record<string, string>, own: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    splitting: Object.keys(entry).length > 1,
    ...own,
  });
}
