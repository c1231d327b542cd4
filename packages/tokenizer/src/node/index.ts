export { loadTokenizer } from './load-tokenizer.js';
export { type SavedTokenizerFiles, saveTokenizer } from './save-tokenizer.js';
