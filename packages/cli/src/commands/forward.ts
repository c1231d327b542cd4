import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { BackendRequest } from '@mini-llama/backends';
import { serializeNpy } from '@mini-llama/formats';
import { writeAtomic } from '@mini-llama/formats/node';
import { loadModel } from '@mini-llama/model/node';
import * as tf from '@tensorflow/tfjs-core';
import type { Command } from 'commander';
import { mergeAdapters } from '../adapters.js';
import { startBackend } from '../backend.js';
import { CliError } from '../errors.js';
import { modelArgument } from '../hub.js';
import type { CliIo } from '../io.js';
import { adapterOption, backendOption, tokenList } from '../options.js';
import { formatBytes } from '../paths.js';

interface ForwardFlags {
  model: string;
  adapter: string[];
  tokens: number[];
  out: string;
  backend: BackendRequest;
}

export function addForwardCommand(program: Command, io: CliIo): void {
  const command = program
    .command('forward')
    .description('Run one forward pass and save the logits of every position as a NumPy .npy file.')
    .requiredOption(
      '--model <path>',
      'weights: an HF directory, a .safetensors file, a llama2.c .bin, or hf:ORG/NAME[@REVISION] (the Hugging Face Hub, cached as huggingface_hub caches)',
    )
    .requiredOption('--tokens <ids>', 'input token ids, comma-separated, e.g. 1,2,3', tokenList('--tokens'))
    .requiredOption('--out <file>', 'where to write the logits: float32 [T, vocab], little-endian, C order')
    .addHelpText(
      'after',
      '\nRead it back with numpy.load(file): row t holds the logits that predict token t + 1.',
    );
  adapterOption(command);
  backendOption(command);
  command.action((flags: ForwardFlags) => runForward(flags, io));
}

async function runForward(flags: ForwardFlags, io: CliIo): Promise<void> {
  await startBackend(flags.backend, io);
  const { model } = await loadModel(await modelArgument(flags.model, io));
  try {
    await mergeAdapters(model, flags.adapter, io);
    const { vocabSize, maxSeqLen } = model.config;
    const T = flags.tokens.length;
    const outside = flags.tokens.find((id) => id >= vocabSize);
    if (outside !== undefined) {
      throw new CliError(
        `--tokens: token id ${outside} is outside the model's vocabulary 0…${vocabSize - 1}`,
      );
    }
    if (T > maxSeqLen) throw new CliError(`--tokens: ${T} tokens exceed the model's context of ${maxSeqLen}`);
    const logits = tf.tidy(() => model.forward(tf.tensor2d([flags.tokens], [1, T], 'int32'))); // [1, T, vocab]
    const data = (await logits.data()) as Float32Array;
    logits.dispose();
    const out = resolve(io.cwd, flags.out);
    const bytes = serializeNpy({ shape: [T, vocabSize], data });
    await mkdir(dirname(out), { recursive: true });
    await writeAtomic(out, bytes);
    io.stdout.write(`wrote ${out}: float32 [${T}, ${vocabSize}], ${formatBytes(bytes.length)}\n`);
  } finally {
    model.dispose();
  }
}
