export { loadChatTemplate, loadTokenizer, TOKENIZER_CONFIG_FILE } from './load-tokenizer.js';
export { type SavedTokenizerFiles, saveTokenizer } from './save-tokenizer.js';
export {
  BUILT_IN_TOKENIZERS,
  copyTokenizerTo,
  findTokenizerFor,
  openTokenizer,
  TOKENIZER_FILES,
  tokenizerForModel,
} from './tokenizer-files.js';
