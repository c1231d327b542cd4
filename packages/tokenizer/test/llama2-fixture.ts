// What the tests share about Llama 2's tokenizer: the SentencePiece reference ids
// (fixtures/sentencepiece-llama2.json, from fixtures/generate_fixtures.py) and where the model files are.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface EncodeCase {
  text: string;
  ids: number[];
  decoded: string;
}

export interface DecodeCase {
  ids: number[];
  text: string;
}

export const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('fixtures/sentencepiece-llama2.json', import.meta.url)), 'utf8'),
) as { vocab_size: number; bos: number; eos: number; cases: EncodeCase[]; decodes: DecodeCase[] };

/** ../shared/data from the repository root; MINI_LLAMA_SHARED_DATA=/elsewhere/ points the tests elsewhere. */
export const sharedData =
  process.env['MINI_LLAMA_SHARED_DATA'] ??
  fileURLToPath(new URL('../../../../shared/data/', import.meta.url));
export const llama2Model = `${sharedData}llama2-tokenizer/tokenizer.model`;
export const llama2Bin = `${sharedData}llama2-tokenizer/tokenizer.bin`;
export const haveLlama2Files = existsSync(llama2Model) && existsSync(llama2Bin);
export const tinyStoriesTrain = `${sharedData}tinystories/tinystories_v1_train_first1000.txt`;
export const tinyStoriesValid = `${sharedData}tinystories/tinystories_v1_valid_head.txt`;
export const haveTinyStories = existsSync(tinyStoriesTrain) && existsSync(tinyStoriesValid);

/** A describe title that says why it is skipped when the Llama 2 files are absent. */
export function needsLlama2Files(title: string): string {
  return haveLlama2Files ? title : `${title} (skipped: ${sharedData}llama2-tokenizer is absent)`;
}

/** Likewise for the TinyStories text. */
export function needsTinyStories(title: string): string {
  return haveTinyStories ? title : `${title} (skipped: ${sharedData}tinystories is absent)`;
}
