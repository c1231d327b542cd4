export { ByteTokenizer } from './byte-tokenizer.js';
export { decodeUtf8 } from './decode-utf8.js';
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
export { TOKENIZER_FORMATS, tokenizerFormatOf, tokenizerFromBytes } from './tokenizer-from-bytes.js';
export { parseTokenizerJson, writeTokenizerJson } from './tokenizer-json.js';
export { type TrainBpeOptions, trainBpe } from './train-bpe.js';
