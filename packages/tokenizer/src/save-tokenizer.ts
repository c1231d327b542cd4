import { writeLlama2cTokenizer } from './llama2c-tokenizer.js';
import { writeModelProto } from './model-proto.js';
import type { SentencePieceModel } from './sentence-piece-model.js';
import { writeTokenizerJson } from './tokenizer-json.js';

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
 * half-written tokenizer. Node only.
 */
export async function saveTokenizer(
  model: SentencePieceModel,
  directory: string,
): Promise<SavedTokenizerFiles> {
  const { mkdir } = await import('node:fs/promises');
  const { join } = await import('node:path');
  await mkdir(directory, { recursive: true });
  const files: SavedTokenizerFiles = {
    model: join(directory, 'tokenizer.model'),
    json: join(directory, 'tokenizer.json'),
    bin: join(directory, 'tokenizer.bin'),
  };
  await writeAtomic(files.model, writeModelProto(model));
  await writeAtomic(files.json, new TextEncoder().encode(writeTokenizerJson(model)));
  await writeAtomic(files.bin, writeLlama2cTokenizer(model));
  return files;
}

async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const { open, rename, rm } = await import('node:fs/promises');
  const { basename, dirname, join } = await import('node:path');
  const { randomBytes } = await import('node:crypto');
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
