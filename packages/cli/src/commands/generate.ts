import { resolve } from 'node:path';
import type { BackendRequest } from '@mini-llama/backends';
import { type GenerateResult, generateStream, type LlamaModel } from '@mini-llama/model';
import { loadModel } from '@mini-llama/model/node';
import type { Tokenizer } from '@mini-llama/tokenizer';
import { findTokenizerFor, loadTokenizer, openTokenizer, TOKENIZER_FILES } from '@mini-llama/tokenizer/node';
import { type Command, Option } from 'commander';
import { mergeAdapters } from '../adapters.js';
import { startBackend } from '../backend.js';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import {
  adapterOption,
  backendOption,
  jsonOption,
  nonNegativeInteger,
  nonNegativeNumber,
  positiveInteger,
  probability,
  tokenList,
} from '../options.js';
import { TextStream } from '../text-stream.js';

interface GenerateFlags {
  model: string;
  adapter: string[];
  prompt?: string;
  promptTokens?: number[];
  tokenizer?: string;
  maxNewTokens: number;
  temperature: number;
  topK?: number;
  topP: number;
  seed: number;
  ignoreEos?: boolean;
  backend: BackendRequest;
  json?: boolean;
}

/** The end-of-sequence id of Llama 2's SentencePiece vocabulary (and llama2.c's), used without a tokenizer. */
const DEFAULT_EOS_ID = 2;

export function addGenerateCommand(program: Command, io: CliIo): void {
  const command = program
    .command('generate')
    .description('Continue a prompt with a model, streaming the text (or one JSON object with --json).')
    .requiredOption(
      '--model <path>',
      'weights: an HF directory (config.json + model.safetensors), a .safetensors file or a llama2.c .bin',
    )
    .addOption(
      new Option('--prompt <text>', 'prompt text, encoded with BOS (needs a tokenizer)').conflicts(
        'promptTokens',
      ),
    )
    .option(
      '--prompt-tokens <ids>',
      'prompt as comma-separated token ids, e.g. 1,2,3',
      tokenList('--prompt-tokens'),
    )
    .option('--tokenizer <path>', `tokenizer file (default: ${TOKENIZER_FILES.join(', ')} next to the model)`)
    .option('--max-new-tokens <n>', 'most tokens to generate', positiveInteger('--max-new-tokens'), 64)
    .option('--temperature <t>', 'sampling temperature; 0 is greedy', nonNegativeNumber('--temperature'), 1)
    .option('--top-k <k>', 'sample among the k most likely tokens (default: all)', positiveInteger('--top-k'))
    .option(
      '--top-p <p>',
      'nucleus sampling: the smallest set of tokens with this much mass',
      probability('--top-p'),
      1,
    )
    .option(
      '--seed <s>',
      'sampler seed: the same seed gives the same tokens',
      nonNegativeInteger('--seed'),
      0,
    )
    .option('--ignore-eos', 'keep generating after the end-of-sequence token')
    .addHelpText(
      'after',
      `
Generation stops at --max-new-tokens, at the model's context length, or at the end-of-sequence token (the
tokenizer's eosId, or ${DEFAULT_EOS_ID} without a tokenizer; --ignore-eos turns this off). The EOS token is kept in
the JSON "tokens" list but left out of the text.

--json prints {"tokens": generated ids (prompt excluded, EOS kept), "text": the decoded continuation or null
without a tokenizer, "promptTokens", "tokensPerSecond" (decode phase), "prefillMs", "decodeMs",
"finishReason" (eos | length | context), "backend", "seed"}.

Without --json the text streams to stdout (token ids, comma-separated, when there is no tokenizer), and a
stats line goes to stderr.`,
    );
  adapterOption(command);
  backendOption(command);
  jsonOption(command, 'print one JSON object on stdout instead of streaming text');
  command.action((flags: GenerateFlags) => runGenerate(flags, io));
}

async function runGenerate(flags: GenerateFlags, io: CliIo): Promise<void> {
  if (flags.prompt === undefined && flags.promptTokens === undefined) {
    throw new CliError('give a prompt: --prompt TEXT (with a tokenizer) or --prompt-tokens 1,2,3');
  }
  const modelPath = resolve(io.cwd, flags.model);
  const tokenizer = await tokenizerFor(flags, modelPath, io);
  const promptIds = flags.promptTokens ?? tokenizer!.encode(flags.prompt!, { bos: true });
  const choice = await startBackend(flags.backend, io, { workload: 'generate' });
  const { model } = await loadModel(modelPath);
  try {
    await mergeAdapters(model, flags.adapter, io);
    checkPrompt(promptIds, model, flags.promptTokens ? '--prompt-tokens' : '--prompt');
    if (tokenizer && tokenizer.vocabSize !== model.config.vocabSize) {
      io.stderr.write(
        `warning: the tokenizer has ${tokenizer.vocabSize} tokens, the model ${model.config.vocabSize}\n`,
      );
    }
    const eosId = flags.ignoreEos ? undefined : (tokenizer?.eosId ?? DEFAULT_EOS_ID);
    const textStream = tokenizer ? new TextStream(tokenizer, promptIds) : null;
    const stream = generateStream(model, [promptIds], {
      maxNewTokens: flags.maxNewTokens,
      temperature: flags.temperature,
      topK: flags.topK ?? 0,
      topP: flags.topP,
      seed: flags.seed,
      eosTokenId: eosId,
    });
    let step = await stream.next();
    while (!step.done) {
      const { token, index } = step.value;
      if (token !== eosId) {
        const delta = textStream ? textStream.push(token) : `${index > 0 ? ',' : ''}${token}`;
        if (!flags.json) io.stdout.write(delta);
      }
      step = await stream.next();
    }
    const result: GenerateResult = step.value;
    const tokens = result.tokens[0]!;
    const finishReason = result.finishReasons[0]!;
    const tokensPerSecond = result.decodeMs > 0 ? tokens.length / (result.decodeMs / 1000) : 0;
    if (flags.json) {
      const report = {
        tokens,
        text: textStream ? textStream.text() : null,
        promptTokens: promptIds,
        tokensPerSecond: round(tokensPerSecond, 2),
        prefillMs: round(result.prefillMs, 3),
        decodeMs: round(result.decodeMs, 3),
        finishReason,
        backend: choice.name,
        seed: flags.seed,
      };
      io.stdout.write(`${JSON.stringify(report)}\n`);
      return;
    }
    io.stdout.write(`${textStream ? textStream.finish() : ''}\n`);
    io.stderr.write(
      `${tokens.length} tokens, ${tokensPerSecond.toFixed(1)} tokens/s (prefill ${result.prefillMs.toFixed(1)} ms),` +
        ` finish: ${finishReason}, backend: ${choice.name}\n`,
    );
  } finally {
    model.dispose();
  }
}

async function tokenizerFor(flags: GenerateFlags, modelPath: string, io: CliIo): Promise<Tokenizer | null> {
  if (flags.tokenizer) return (await openTokenizer(flags.tokenizer, io.cwd)).tokenizer;
  const path = await findTokenizerFor(modelPath);
  if (path) return loadTokenizer(path);
  if (flags.prompt !== undefined) {
    throw new CliError(
      `--prompt needs a tokenizer and none was found next to ${modelPath} (looked for ${TOKENIZER_FILES.join(', ')}):` +
        ' pass --tokenizer PATH, or give token ids with --prompt-tokens',
    );
  }
  return null;
}

function checkPrompt(ids: number[], model: LlamaModel, flag: string): void {
  const { vocabSize, maxSeqLen } = model.config;
  if (ids.length === 0) throw new CliError(`${flag} encodes to no tokens`);
  const outside = ids.find((id) => id >= vocabSize);
  if (outside !== undefined) {
    throw new CliError(`${flag}: token id ${outside} is outside the model's vocabulary 0…${vocabSize - 1}`);
  }
  if (ids.length >= maxSeqLen) {
    throw new CliError(`${flag}: ${ids.length} tokens leave no room in the model's context of ${maxSeqLen}`);
  }
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
