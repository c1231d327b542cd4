import { packageBuild } from '../../tsup.base';

export default packageBuild(
  { index: 'src/index.ts' },
  {
    // import.meta.url in the CJS build (it resolves tfjs's wasm worker script and the webgpu package)
    shims: true,
  },
);
