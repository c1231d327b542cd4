import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BackendRequest } from '@mini-llama/backends';
import { checkTokenizerMatchesModel } from '@mini-llama/data';
import { contextLength, type GenerateResult, generateStream, type LlamaModel } from '@mini-llama/model';
import { loadModel } from '@mini-llama/model/node';
import { type ChatMessage, chatPromptIds, type Tokenizer } from '@mini-llama/tokenizer';
import {
  findTokenizerFor,
  loadChatTemplate,
  loadTokenizer,
  openTokenizer,
  TOKENIZER_CONFIG_FILE,
  TOKENIZER_FILES,
} from '@mini-llama/tokenizer/node';
import { type Command, Option } from 'commander';
import { mergeAdapters } from '../adapters.js';
import { startBackend } from '../backend.js';
import { CliError } from '../errors.js';
import { modelArgument } from '../hub.js';
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
  chat?: boolean;
  system?: string;
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
      'weights: an HF directory (config.json + model.safetensors), a .safetensors file, a llama2.c .bin, or hf:ORG/NAME[@REVISION] from the Hugging Face Hub',
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
    .addOption(
      new Option(
        '--chat',
        "treat --prompt as a user's message to an instruction-tuned model: the tokenizer's chat template (tokenizer_config.json) frames it and generation stops at the end of the assistant's turn",
      ).conflicts('promptTokens'),
    )
    .option('--system <text>', 'with --chat: a system message before the user message')
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
  if (flags.system !== undefined && !flags.chat) throw new CliError('--system needs --chat');
  const modelPath = await modelArgument(flags.model, io);
  const { tokenizer, file: tokenizerFile } = await tokenizerFor(flags, modelPath, io);
  const promptIds = flags.chat
    ? await chatPrompt(flags, tokenizer!, tokenizerFile)
    : (flags.promptTokens ?? tokenizer!.encode(flags.prompt!, { bos: true }));
  const choice = await startBackend(flags.backend, io, { workload: 'generate' });
  const { model } = await loadModel(modelPath);
  try {
    await mergeAdapters(model, flags.adapter, io);
    if (tokenizer) checkTokenizerMatchesModel(tokenizer, model.config.vocabSize);
    checkPrompt(promptIds, model, flags.promptTokens ? '--prompt-tokens' : '--prompt');
    const eosIds = flags.ignoreEos ? [] : await endTokens(tokenizer, modelPath);
    const textStream = tokenizer ? new TextStream(tokenizer, promptIds) : null;
    const stream = generateStream(model, [promptIds], {
      maxNewTokens: flags.maxNewTokens,
      temperature: flags.temperature,
      topK: flags.topK ?? 0,
      topP: flags.topP,
      seed: flags.seed,
      eosTokenId: eosIds,
    });
    let step = await stream.next();
    while (!step.done) {
      const { token, index } = step.value;
      if (!eosIds.includes(token)) {
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

/** The ids that end generation: the tokenizer's EOS and those of the model's generation_config.json. */
async function endTokens(tokenizer: Tokenizer | null, modelPath: string): Promise<number[]> {
  const ids = new Set<number>();
  if (tokenizer && tokenizer.eosId >= 0) ids.add(tokenizer.eosId);
  if (!tokenizer) ids.add(DEFAULT_EOS_ID);
  // transformers' generation_config.json lists the end-of-turn tokens of instruction-tuned models
  // (Llama 3.2 Instruct: [128001, 128008, 128009]).
  const path = join(modelPath, 'generation_config.json');
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text !== null) {
    let configured: unknown;
    try {
      configured = (JSON.parse(text) as { eos_token_id?: unknown }).eos_token_id;
    } catch (error) {
      throw new CliError(`${path}: not JSON: ${(error as Error).message}`);
    }
    for (const id of [configured].flat()) {
      if (id === undefined || id === null) continue;
      if (!Number.isInteger(id) || (id as number) < 0) {
        throw new CliError(
          `${path}: eos_token_id ${JSON.stringify(configured)} is not a token id or a list of them`,
        );
      }
      ids.add(id as number);
    }
  }
  return [...ids];
}

/** --chat: the user's message (and --system) framed by the tokenizer's chat template. */
async function chatPrompt(
  flags: GenerateFlags,
  tokenizer: Tokenizer,
  tokenizerFile: string | null,
): Promise<number[]> {
  if (flags.prompt === undefined) throw new CliError('--chat needs --prompt (the user message)');
  const template = tokenizerFile ? await loadChatTemplate(tokenizerFile) : null;
  if (!template) {
    throw new CliError(
      `--chat: no chat_template in ${tokenizerFile ? join(dirname(tokenizerFile), TOKENIZER_CONFIG_FILE) : 'a built-in tokenizer'} (a base model? leave out --chat)`,
    );
  }
  const messages: ChatMessage[] = [];
  if (flags.system !== undefined) messages.push({ role: 'system', content: flags.system });
  messages.push({ role: 'user', content: flags.prompt });
  return chatPromptIds(tokenizer, template, messages);
}

async function tokenizerFor(
  flags: GenerateFlags,
  modelPath: string,
  io: CliIo,
): Promise<{ tokenizer: Tokenizer | null; file: string | null }> {
  if (flags.tokenizer) return openTokenizer(flags.tokenizer, io.cwd);
  const path = await findTokenizerFor(modelPath);
  if (path) return { tokenizer: await loadTokenizer(path), file: path };
  if (flags.prompt !== undefined) {
    throw new CliError(
      `--prompt needs a tokenizer and none was found next to ${modelPath} (looked for ${TOKENIZER_FILES.join(', ')}):` +
        ' pass --tokenizer PATH, or give token ids with --prompt-tokens',
    );
  }
  return { tokenizer: null, file: null };
}

function checkPrompt(ids: number[], model: LlamaModel, flag: string): void {
  const { vocabSize } = model.config;
  const maxSeqLen = contextLength(model.config);
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
