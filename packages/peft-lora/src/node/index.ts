export { loadAdapter, readAdapter, saveAdapter } from './adapter-directory.js';
