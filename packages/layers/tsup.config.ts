import { packageBuild } from '../../tsup.base';

export default packageBuild(
  // `./kernels`: the fused inference kernels for wasm and cpu, registered only by registerFusedKernels().
  { index: 'src/index.ts', 'kernels/index': 'src/kernels/index.ts' },
  {
    // tfjs-core ships its gradient registrations only as ES modules with extensionless imports, which Node
    // cannot load: bundle them into our build so gradients exist wherever @mini-llama/layers is imported.
    // They register into tfjs's global registry, shared by every copy of tfjs-core.
    noExternal: [/@tensorflow\/tfjs-core\/dist\/register_all_gradients/],
  },
);
