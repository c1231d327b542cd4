// A checkpoint shaped like SmolLM2-135M (its config: 30 layers, width 576, 9 heads over 3 KV heads, a tied
// 49,152-token vocabulary), with random weights written by transformers in bf16 as the Hub's files are, and a
// byte-level BPE tokenizer of the same vocabulary size (test-utils' smolLm2LikeTokenizerFiles).
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { hfJsonFromConfig, presetConfig } from '@mini-llama/formats';
import { SMOLLM2_END_OF_TEXT, smolLm2LikeTokenizerFiles } from '@mini-llama/test-utils';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/**
 * Writes the checkpoint into `directory`: config.json, model.safetensors, generation_config.json, tokenizer.json
 * and tokenizer_config.json (BOS and EOS <|endoftext|>, as SmolLM2's).
 */
export async function writeSmolLm2LikeCheckpoint(python: string, directory: string): Promise<void> {
  const config = {
    ...hfJsonFromConfig(presetConfig('SmolLM2-135M'), 'BF16'),
    bos_token_id: SMOLLM2_END_OF_TEXT,
    eos_token_id: SMOLLM2_END_OF_TEXT,
  };
  const configFile = join(directory, '..', 'smollm2-source-config.json');
  await writeFile(configFile, JSON.stringify(config));
  const bench = dirname(require.resolve('@mini-llama/bench/package.json'));
  await run(python, [join(bench, 'python', 'random_checkpoint.py'), configFile, directory], {
    maxBuffer: 1 << 24,
  });
  for (const [name, text] of Object.entries(await smolLm2LikeTokenizerFiles())) {
    await writeFile(join(directory, name), text);
  }
}
