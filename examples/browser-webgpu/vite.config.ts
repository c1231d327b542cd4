import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

/**
 * @mini-llama/backends reaches its Node-only modules (threaded wasm on disk, Dawn) through dynamic imports
 * that run only in Node, but Rollup still bundles those chunks, and it refuses a named import from Vite's
 * empty browser stub of a Node built-in (wasm-threads-node.ts now uses namespace imports, which the stub
 * satisfies; this guard keeps the build working whatever a package's Node-only path imports). Each `node:`
 * module gets a stand-in whose every export throws if it is ever called (it is not: the chunks that import
 * them are loaded only under Node).
 */
function nodeBuiltinsUnavailable(): Plugin {
  const prefix = '\0node-builtin-unavailable:';
  return {
    name: 'mini-llama:node-builtins-unavailable',
    enforce: 'pre',
    resolveId(id) {
      return id.startsWith('node:') ? prefix + id : null;
    },
    load(id) {
      if (!id.startsWith(prefix)) return null;
      const name = JSON.stringify(id.slice(prefix.length));
      return {
        code: `export default new Proxy({}, { get: (_, key) => () => {
  throw new Error(\`\${${name}} (\${String(key)}) is not available in the browser\`);
} });`,
        syntheticNamedExports: true,
      };
    },
  };
}

export default defineConfig({
  plugins: [nodeBuiltinsUnavailable()],
  // The workspace packages are bundled from their TypeScript sources (the same export condition the tests
  // use), so the page needs no `pnpm build` of the packages first and always runs the code in the tree.
  resolve: { conditions: ['@mini-llama/source', ...defaultClientConditions] },
  // The worker is an ES module: useBackend loads backends with dynamic import(), which splits it into chunks.
  worker: { format: 'es', plugins: () => [nodeBuiltinsUnavailable()] },
  // The dev server pre-bundles what the worker imports (tfjs and its backends) at start: found only once the
  // worker runs, they would be re-bundled under new URLs that its pending dynamic imports no longer reach.
  optimizeDeps: { entries: ['index.html', 'src/worker.ts'] },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    // two pages: the example, and the training-speed bench that bench.ts drives
    rollupOptions: { input: { main: 'index.html', bench: 'bench.html' } },
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
