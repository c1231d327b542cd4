import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { BackendRequest } from '@mini-llama/backends';
import { MANIFEST_FILE } from '@mini-llama/data';
import { dataPerplexity } from '@mini-llama/eval/node';
import type { Command } from 'commander';
import { startBackend } from '../backend.js';
import { CountProgress } from '../count-progress.js';
import { CliError } from '../errors.js';
import { modelArgument } from '../hub.js';
import type { CliIo } from '../io.js';
import {
  adapterOption,
  backendOption,
  batchSizeOption,
  jsonOption,
  oneOf,
  positiveInteger,
  tokenizerOption,
} from '../options.js';
import { MODEL_HELP } from './eval-shared.js';

interface PerplexityFlags {
  model: string;
  adapter: string[];
  data: string;
  tokenizer?: string;
  split: 'train' | 'val';
  window?: number;
  stride?: number;
  batchSize: number;
  backend: BackendRequest;
  json?: boolean;
}

export function addEvalPerplexityCommand(parent: Command, io: CliIo): void {
  const command = parent
    .command('perplexity')
    .description(
      'Perplexity, mean NLL and bits per byte of a model on a text file or on prepared token shards, with a sliding window over long texts.',
    )
    .requiredOption('--model <path>', MODEL_HELP)
    .requiredOption(
      '--data <path>',
      `a UTF-8 text file (one document), or a directory of prepared shards with ${MANIFEST_FILE} (mini-llama data prepare)`,
    )
    .option(
      '--split <name>',
      'which split of prepared shards to score',
      oneOf('--split', ['train', 'val'] as const),
      'val',
    )
    .option(
      '--window <n>',
      "input tokens per forward pass (default: the model's context)",
      positiveInteger('--window'),
    )
    .option(
      '--stride <n>',
      'tokens the window moves on by; each token is scored once, with at least window + 1 − stride tokens of context (default: window / 2)',
      positiveInteger('--stride'),
    )
    .addHelpText(
      'after',
      `
Every token after the first is scored once (HF's "perplexity of fixed-length models" recipe). A text file is
encoded as one document with BOS; shards are scored as the split's token stream, as training saw it.

Bits per byte = total NLL / ln 2 / UTF-8 bytes of the text: comparable across tokenizers. For shards the bytes
come from decoding the documents, which needs the tokenizer; without one, bits per byte is not reported.

--json prints {"nll", "perplexity", "tokens", "bytes", "bitsPerByte", "windowSize", "stride", "data", "split"}.`,
    );
  adapterOption(command);
  tokenizerOption(command);
  batchSizeOption(command, 'windows', 4);
  backendOption(command);
  jsonOption(command);
  command.action((flags: PerplexityFlags) => runPerplexity(flags, io));
}

async function runPerplexity(flags: PerplexityFlags, io: CliIo): Promise<void> {
  const data = resolve(io.cwd, flags.data);
  if (!(await stat(data).catch(() => null))) throw new CliError(`--data: no such file or directory: ${data}`);
  await startBackend(flags.backend, io);
  const progress = new CountProgress(io, 'perplexity', 'tokens');
  try {
    const result = await dataPerplexity({
      model: await modelArgument(flags.model, io),
      adapters: flags.adapter.map((directory) => resolve(io.cwd, directory)),
      data,
      tokenizer: flags.tokenizer,
      split: flags.split,
      window: flags.window,
      stride: flags.stride,
      batchSize: flags.batchSize,
      onProgress: ({ scoredTokens, totalTokens }) => progress.update(scoredTokens, totalTokens),
      onMessage: (message) => io.stderr.write(`${message}\n`),
    });
    progress.stop();
    if (flags.json) {
      io.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    const rows: [string, string][] = [
      ['perplexity', result.perplexity.toFixed(4)],
      ['nll', `${result.nll.toFixed(4)} nats/token`],
      [
        'bits/byte',
        result.bitsPerByte === null
          ? 'n/a (no tokenizer to decode the shards)'
          : result.bitsPerByte.toFixed(4),
      ],
      ['tokens', String(result.tokens)],
      ['bytes', result.bytes === null ? 'n/a' : String(result.bytes)],
      ['window', `${result.windowSize} tokens, stride ${result.stride}`],
    ];
    io.stdout.write(`${rows.map(([key, value]) => `${key.padEnd(11)}${value}`).join('\n')}\n`);
  } finally {
    progress.stop();
  }
}
