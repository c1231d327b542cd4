import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BackendRequest } from '@mini-llama/backends';
import { checkTokenizerMatchesModel, MANIFEST_FILE } from '@mini-llama/data';
import { type PerplexityResult, textPerplexity } from '@mini-llama/eval';
import { shardPerplexity } from '@mini-llama/eval/node';
import { loadModel } from '@mini-llama/model/node';
import type { Command } from 'commander';
import { ADAPTER_HELP, mergeAdapters } from '../adapters.js';
import { startBackend } from '../backend.js';
import { CountProgress } from '../count-progress.js';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { BACKEND_HELP, backendRequest, collect, oneOf, positiveInteger } from '../options.js';
import { exists } from '../paths.js';
import { evalTokenizer, MODEL_HELP, TOKENIZER_HELP } from './eval-shared.js';

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
  parent
    .command('perplexity')
    .description(
      'Perplexity, mean NLL and bits per byte of a model on a text file or on prepared token shards, with a sliding window over long texts.',
    )
    .requiredOption('--model <path>', MODEL_HELP)
    .requiredOption(
      '--data <path>',
      `a UTF-8 text file (one document), or a directory of prepared shards with ${MANIFEST_FILE} (mini-llama data prepare)`,
    )
    .option('--adapter <dir>', ADAPTER_HELP, collect, [])
    .option('--tokenizer <path>', TOKENIZER_HELP)
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
    .option('--batch-size <n>', 'windows per forward pass', positiveInteger('--batch-size'), 4)
    .option('--backend <name>', BACKEND_HELP, backendRequest, 'auto')
    .option('--json', 'print one JSON object on stdout')
    .addHelpText(
      'after',
      `
Every token after the first is scored once (HF's "perplexity of fixed-length models" recipe). A text file is
encoded as one document with BOS; shards are scored as the split's token stream, as training saw it.

Bits per byte = total NLL / ln 2 / UTF-8 bytes of the text: comparable across tokenizers. For shards the bytes
come from decoding the documents, which needs the tokenizer; without one, bits per byte is not reported.

--json prints {"nll", "perplexity", "tokens", "bytes", "bitsPerByte", "windowSize", "stride", "data", "split"}.`,
    )
    .action((flags: PerplexityFlags) => runPerplexity(flags, io));
}

async function runPerplexity(flags: PerplexityFlags, io: CliIo): Promise<void> {
  const modelPath = resolve(io.cwd, flags.model);
  const dataPath = resolve(io.cwd, flags.data);
  const info = await stat(dataPath).catch(() => null);
  if (!info) throw new CliError(`--data: no such file or directory: ${dataPath}`);
  const shards = info.isDirectory();
  if (shards && !(await exists(join(dataPath, MANIFEST_FILE)))) {
    throw new CliError(
      `--data ${dataPath} is a directory without ${MANIFEST_FILE}: give a text file, or shards made by \`mini-llama data prepare\``,
    );
  }
  const tokenizer = await evalTokenizer(flags.tokenizer, modelPath, io, {
    required: shards ? null : '--data is a text file, which must be tokenized',
  });
  await startBackend(flags.backend, io);
  const { model } = await loadModel(modelPath);
  await mergeAdapters(model, flags.adapter, io); // LoRA adapters (language-model ones), merged in order
  const progress = new CountProgress(io, 'perplexity', 'tokens');
  try {
    if (tokenizer) checkTokenizerMatchesModel(tokenizer.tokenizer, model.config.vocabSize, tokenizer.name);
    if (flags.window !== undefined && flags.window > model.config.maxSeqLen) {
      throw new CliError(
        `--window ${flags.window} exceeds the model's context of ${model.config.maxSeqLen} tokens`,
      );
    }
    const windowSize = flags.window ?? model.config.maxSeqLen;
    if (flags.stride !== undefined && flags.stride > windowSize) {
      throw new CliError(`--stride ${flags.stride} is larger than the window of ${windowSize} tokens`);
    }
    const options = {
      windowSize,
      stride: flags.stride,
      batchSize: flags.batchSize,
      onProgress: ({ scoredTokens, totalTokens }: { scoredTokens: number; totalTokens: number }) =>
        progress.update(scoredTokens, totalTokens),
    };
    const result: PerplexityResult = shards
      ? await shardPerplexity(model, dataPath, {
          ...options,
          split: flags.split,
          tokenizer: tokenizer?.tokenizer,
        })
      : await textPerplexity(model, tokenizer!.tokenizer, await readFile(dataPath, 'utf8'), options);
    progress.stop();
    if (flags.json) {
      const report = { ...result, data: dataPath, split: shards ? flags.split : null };
      io.stdout.write(`${JSON.stringify(report)}\n`);
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
    model.dispose();
  }
}
