/** What the model and the CLI need of any tokenizer. */
export interface Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  /** Text → ids; BOS/EOS only when asked, as SentencePiece's encode. */
  encode(text: string, options?: EncodeOptions): number[];
  /** Ids → text; special tokens are dropped. */
  decode(ids: readonly number[]): string;
}

export interface EncodeOptions {
  bos?: boolean;
  eos?: boolean;
}

/** Thrown for an unreadable tokenizer file; the message starts with the file's name. */
export class TokenizerFileError extends Error {
  override name = 'TokenizerFileError';
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}
