import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomic } from '@mini-llama/formats/node';
import { writeLlama2cTokenizer } from '../llama2c-tokenizer.js';
import { writeModelProto } from '../model-proto.js';
import type { SentencePieceModel } from '../sentence-piece-model.js';
import { writeTokenizerJson } from '../tokenizer-json.js';

export interface SavedTokenizerFiles {
  /** SentencePiece ModelProto: loads in Python's sentencepiece. */
  model: string;
  /** HF tokenizers' tokenizer.json. */
  json: string;
  /** llama2.c's tokenizer.bin. */
  bin: string;
}

/**
 * Writes `directory`/tokenizer.model, tokenizer.json and tokenizer.bin (creating the directory). Each file
 * is written atomically: a temporary file beside it, fsync, rename, so an interrupted save never leaves a
 * half-written tokenizer.
 */
export async function saveTokenizer(
  model: SentencePieceModel,
  directory: string,
): Promise<SavedTokenizerFiles> {
  await mkdir(directory, { recursive: true });
  const files: SavedTokenizerFiles = {
    model: join(directory, 'tokenizer.model'),
    json: join(directory, 'tokenizer.json'),
    bin: join(directory, 'tokenizer.bin'),
  };
  await writeAtomic(files.model, writeModelProto(model));
  await writeAtomic(files.json, writeTokenizerJson(model));
  await writeAtomic(files.bin, writeLlama2cTokenizer(model));
  return files;
}
