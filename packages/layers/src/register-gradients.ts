// tfjs-core's Node entry registers no gradients (../shared/docs/tfjs-notes.md): the union package
// @tensorflow/tfjs inlines them, tfjs-core alone does not. Importing this module registers every gradient
// tfjs-core defines into tfjs's global registry. Our build bundles it (see tsup.config.ts) so it works from
// Node ESM, Node CJS and bundlers alike.
//
// tfjs-core itself is imported first: its entry sets up the global engine and environment, which the
// registrations (and the ops they are written with) expect to exist whichever module a program loads first.
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
