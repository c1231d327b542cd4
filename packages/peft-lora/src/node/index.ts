export { loadAdapter, readAdapter, saveAdapter } from './adapter-directory.js';
export { adapterLabelCount, mergeAdapterDirectories, readAdapterDirectory } from './merge-adapters.js';
