import type { EncodeOptions, Tokenizer } from './tokenizer.js';

const UNK = 0;
const BOS = 1;
const EOS = 2;
const FIRST_BYTE = 3; // ids 3…258 are the bytes 0…255, as the <0x00>…<0xFF> pieces of Llama's vocabulary

/**
 * The simplest tokenizer that encodes any text: one token per UTF-8 byte, after <unk>, <s>, </s>.
 * Needs no file, so a model can be trained from nothing but text.
 */
export class ByteTokenizer implements Tokenizer {
  readonly vocabSize = FIRST_BYTE + 256;
  readonly unkId = UNK;
  readonly bosId = BOS;
  readonly eosId = EOS;

  encode(text: string, { bos = false, eos = false }: EncodeOptions = {}): number[] {
    const ids = bos ? [BOS] : [];
    for (const byte of new TextEncoder().encode(text)) ids.push(byte + FIRST_BYTE);
    if (eos) ids.push(EOS);
    return ids;
  }

  decode(ids: readonly number[]): string {
    const bytes = ids.filter((id) => id >= FIRST_BYTE && id < this.vocabSize).map((id) => id - FIRST_BYTE);
    return new TextDecoder().decode(new Uint8Array(bytes));
  }
}
