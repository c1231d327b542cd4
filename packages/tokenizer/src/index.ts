export { ByteTokenizer } from './byte-tokenizer.js';
export { Llama2cTokenizer } from './llama2c-tokenizer.js';
export { loadTokenizer } from './load-tokenizer.js';
export { type EncodeOptions, type Tokenizer, TokenizerFileError } from './tokenizer.js';
