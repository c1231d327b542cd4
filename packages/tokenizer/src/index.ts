export { ByteTokenizer } from './byte-tokenizer.js';
export { chatPromptIds } from './chat-prompt.js';
export { type ChatMessage, ChatTemplate, type ChatTemplateOptions } from './chat-template.js';
export { decodeUtf8 } from './decode-utf8.js';
export { HfTokenizer, isByteLevelBpe } from './hf-tokenizer.js';
export { LLAMA2_TOKENIZER_NAME, llama2Tokenizer } from './llama2-tokenizer.js';
export { Llama2cTokenizer, parseLlama2cTokenizer, writeLlama2cTokenizer } from './llama2c-tokenizer.js';
export { modelFromMerges, type VocabularyWithMerges } from './model-from-merges.js';
export { parseModelProto, writeModelProto } from './model-proto.js';
export {
  bytePiece,
  DEFAULT_TRAINER_SPEC,
  IDENTITY_NORMALIZER,
  ModelType,
  type NormalizerSpec,
  PieceType,
  parseBytePiece,
  type SentencePiece,
  type SentencePieceModel,
  SPACE_SYMBOL,
  type TrainerSpec,
} from './sentence-piece-model.js';
export { SentencePieceTokenizer } from './sentence-piece-tokenizer.js';
export { type EncodeOptions, type Tokenizer, TokenizerFileError } from './tokenizer.js';
export { parseTokenizerConfig, type TokenizerConfig } from './tokenizer-config.js';
export {
  type FileTokenizer,
  TOKENIZER_FORMATS,
  type TokenizerConfigText,
  tokenizerFormatOf,
  tokenizerFromBytes,
} from './tokenizer-from-bytes.js';
export { parseTokenizerJson, writeTokenizerJson } from './tokenizer-json.js';
export { type TrainBpeOptions, trainBpe } from './train-bpe.js';
