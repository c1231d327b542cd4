import { Llama2cTokenizer } from './llama2c-tokenizer.js';
import { type Tokenizer, TokenizerFileError } from './tokenizer.js';

/**
 * Loads a tokenizer file, picking the format from its name: llama2.c `tokenizer.bin` today
 * (SentencePiece `tokenizer.model` and HF `tokenizer.json` are on the roadmap). Node only (reads the disk).
 */
export async function loadTokenizer(path: string): Promise<Tokenizer> {
  const { readFile } = await import('node:fs/promises');
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    throw new TokenizerFileError(path, `cannot read: ${(error as Error).message}`);
  }
  if (path.endsWith('.bin')) return Llama2cTokenizer.fromBytes(bytes, path);
  throw new TokenizerFileError(path, 'unsupported tokenizer format: expected a llama2.c tokenizer.bin');
}
