import { packageBuild } from '../../tsup.base';

export default packageBuild(
  { index: 'src/index.ts', 'node/index': 'src/node/index.ts', 'report/index': 'src/report/index.ts' },
  {
    // No code splitting: tsup's CJS splitting rewrites `import('vega')` into `require('vega')`, which fails for
    // vega's ES module (top-level await). Without it esbuild keeps the dynamic import in the CJS build. The
    // entries share no class whose identity matters, so each bundling its own copy of shared code is harmless.
    splitting: false,
  },
);
