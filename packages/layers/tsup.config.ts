import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // tfjs-core ships its gradient registrations only as ES modules with extensionless imports, which Node
  // cannot load: bundle them into our build so gradients exist wherever @mini-llama/layers is imported.
  // They register into tfjs's global registry, shared by every copy of tfjs-core.
  noExternal: [/@tensorflow\/tfjs-core\/dist\/register_all_gradients/],
});
