// tfjs-core's Node entry registers no gradients (../shared/docs/tfjs-notes.md): the union package
// @tensorflow/tfjs inlines them, tfjs-core alone does not. Importing this module registers every gradient
// tfjs-core defines into tfjs's global registry. Our build bundles it (see tsup.config.ts) so it works from
// Node ESM, Node CJS and bundlers alike.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
