// Helpers for the CLI's tests: run commands in-process and make small models on disk.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from '@mini-llama/backends';
import { type LlamaConfigInput, LlamaModel, Random, SequenceClassifier } from '@mini-llama/model';
import { loadModel, saveModel } from '@mini-llama/model/node';
import { type LoraConfig, LoraModel } from '@mini-llama/peft-lora';
import { saveAdapter } from '@mini-llama/peft-lora/node';
import * as tf from '@tensorflow/tfjs-core';
import { runCli } from '../src/cli.js';
import { bufferIo } from '../src/io.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `mini-llama ...argv` in this process, capturing both streams. */
export async function cli(...argv: string[]): Promise<CliRun> {
  return cliWithEnv({}, ...argv);
}

/** `cli` with environment variables (the CLI reads MINI_LLAMA_DEBUG and MINI_LLAMA_PYTHON). */
export async function cliWithEnv(env: Record<string, string>, ...argv: string[]): Promise<CliRun> {
  const io = bufferIo(env);
  const code = await runCli(argv, io);
  return { code, stdout: io.out(), stderr: io.err() };
}

/** dim 16, 2 layers, 2 heads sharing 1 KV head (GQA), vocab 32, context 32: 6736 parameters. */
export const TINY_CONFIG: LlamaConfigInput = {
  dim: 16,
  nLayers: 2,
  nHeads: 2,
  nKvHeads: 1,
  vocabSize: 32,
  maxSeqLen: 32,
  multipleOf: 8,
};

export async function temporaryDirectory(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'mini-llama-cli-'));
}

/** A seeded random model saved as an HF directory; returns its path. */
export async function saveTinyModel(
  directory: string,
  config: LlamaConfigInput = TINY_CONFIG,
  seed = 1,
): Promise<string> {
  await useBackend('cpu');
  const model = new LlamaModel(config, { seed });
  const path = join(directory, 'tiny-hf');
  try {
    await saveModel(model, path, { format: 'hf' });
  } finally {
    model.dispose();
  }
  return path;
}

/**
 * A LoRA adapter for the model at `modelPath`, saved in PEFT format under `directory/name`, with seeded
 * non-zero weights (as after training) so that it changes what the model computes. `numLabels` makes it a
 * classification adapter (on a SequenceClassifier). Returns the adapter directory.
 */
export async function saveTinyAdapter(
  modelPath: string,
  directory: string,
  {
    name = 'adapter',
    config = {},
    seed = 1,
    numLabels,
  }: { name?: string; config?: LoraConfig; seed?: number; numLabels?: number } = {},
): Promise<string> {
  await useBackend('cpu');
  const { model } = await loadModel(modelPath);
  const classifier = numLabels ? new SequenceClassifier(model, numLabels, { seed }) : null;
  const lora = new LoraModel(classifier ?? model, { r: 2, alpha: 4, ...config });
  const random = new Random(seed);
  for (const variable of Object.values(lora.trainableParameters())) {
    tf.tidy(() => variable.assign(tf.tensor(random.normalArray(variable.size, 0.3), variable.shape)));
  }
  const path = join(directory, name);
  try {
    await saveAdapter(lora, path, { baseModelNameOrPath: modelPath });
  } finally {
    lora.dispose();
    classifier?.dispose();
    model.dispose();
  }
  return path;
}

/**
 * A llama2.c tokenizer.bin with TINY_CONFIG's 32 tokens: <unk> <s> </s>, a space, the letters a–z and two
 * merges (" t", "th"). Layout: int32 max_token_length, then per token float32 score, int32 length, bytes.
 */
export function tinyTokenizerBytes(): Uint8Array {
  const letters = Array.from({ length: 26 }, (_, i) => String.fromCharCode(97 + i));
  const pieces = ['<unk>', '<s>', '</s>', ' ', ...letters, ' t', 'th'];
  const encoded = pieces.map((piece) => new TextEncoder().encode(piece));
  const bytes = new Uint8Array(4 + encoded.reduce((total, piece) => total + 8 + piece.length, 0));
  const view = new DataView(bytes.buffer);
  view.setInt32(0, Math.max(...encoded.map((piece) => piece.length)), true);
  let offset = 4;
  encoded.forEach((piece, id) => {
    view.setFloat32(offset, id >= 30 ? -1 : -1000, true); // only merged pieces have competitive scores
    view.setInt32(offset + 4, piece.length, true);
    bytes.set(piece, offset + 8);
    offset += 8 + piece.length;
  });
  return bytes;
}
