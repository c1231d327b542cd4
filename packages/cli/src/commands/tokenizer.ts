import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describeFileError } from '@mini-llama/formats/node';
import { type FileTokenizer, LLAMA2_TOKENIZER_NAME, trainBpe } from '@mini-llama/tokenizer';
import { loadTokenizer, saveTokenizer } from '@mini-llama/tokenizer/node';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { positiveInteger, tokenList } from '../options.js';
import { exists, formatBytes, isDirectory } from '../paths.js';

const TOKENIZER_HELP =
  "tokenizer.model (SentencePiece), tokenizer.json (HF), tokenizer.bin (llama2.c), a directory holding one, or 'llama2' (built in)";
/** Looked for, in this order, when --tokenizer names a directory (what `tokenizer train --out` writes). */
const FILES_IN_DIRECTORY = ['tokenizer.model', 'tokenizer.json', 'tokenizer.bin'];
const MIN_VOCAB = 260; // 3 special + 256 byte pieces + at least one character
const MAX_VOCAB = 65536;

interface EncodeFlags {
  tokenizer: string;
  text: string;
  bos?: boolean;
  eos?: boolean;
  json?: boolean;
}

interface DecodeFlags {
  tokenizer: string;
  ids: number[];
  json?: boolean;
}

interface TrainFlags {
  input: string[];
  vocabSize: number;
  out: string;
  json?: boolean;
}

export function addTokenizerCommand(program: Command, io: CliIo): void {
  const tokenizer = program
    .command('tokenizer')
    .description(
      'Encode and decode with a SentencePiece or byte-level BPE tokenizer (tokenizer.json of Llama 3, Qwen2, SmolLM), or train one on text files.',
    );

  tokenizer
    .command('encode')
    .description(
      'Print the token ids of a text (no BOS or EOS unless asked), as SentencePiece or HF tokenizers would encode it.',
    )
    .requiredOption('--tokenizer <path>', TOKENIZER_HELP)
    .requiredOption('--text <text>', 'the text to encode')
    .option('--bos', 'start with the BOS id')
    .option('--eos', 'end with the EOS id')
    .option('--json', 'print {"ids": [...]} instead of comma-separated ids')
    .action((flags: EncodeFlags) => runEncode(flags, io));

  tokenizer
    .command('decode')
    .description('Print the text of token ids (special tokens dropped).')
    .requiredOption('--tokenizer <path>', TOKENIZER_HELP)
    .requiredOption('--ids <ids>', 'comma-separated token ids', tokenList('--ids'))
    .option('--json', 'print {"text": "..."}')
    .action((flags: DecodeFlags) => runDecode(flags, io));

  tokenizer
    .command('train')
    .description(
      'Train a SentencePiece-style BPE vocabulary (byte fallback, identity normalization, as llama2.c trains ' +
        'its tok512/tok4096) and write tokenizer.model, tokenizer.json and tokenizer.bin.',
    )
    .requiredOption('--input <files...>', 'text files; each line is a sentence')
    .requiredOption(
      '--vocab-size <n>',
      `pieces in all, ${MIN_VOCAB}…${MAX_VOCAB} (llama2.c uses 512 or 4096)`,
      positiveInteger('--vocab-size'),
    )
    .requiredOption('--out <dir>', 'directory for the three files (created if needed)')
    .option('--json', 'print one JSON object')
    .action((flags: TrainFlags) => runTrain(flags, io));
}

/** --tokenizer → a tokenizer: the built-in name, a file, or a directory with one of FILES_IN_DIRECTORY. */
async function openTokenizer(given: string, io: CliIo): Promise<FileTokenizer> {
  if (given === LLAMA2_TOKENIZER_NAME) return loadTokenizer(given);
  const path = resolve(io.cwd, given);
  if (!(await isDirectory(path))) return loadTokenizer(path);
  for (const name of FILES_IN_DIRECTORY) {
    if (await exists(join(path, name))) return loadTokenizer(join(path, name));
  }
  throw new CliError(`--tokenizer: ${path} holds none of ${FILES_IN_DIRECTORY.join(', ')}`);
}

async function runEncode(flags: EncodeFlags, io: CliIo): Promise<void> {
  const tokenizer = await openTokenizer(flags.tokenizer, io);
  const ids = tokenizer.encode(flags.text, { bos: flags.bos === true, eos: flags.eos === true });
  io.stdout.write(flags.json ? `${JSON.stringify({ ids })}\n` : `${ids.join(',')}\n`);
}

async function runDecode(flags: DecodeFlags, io: CliIo): Promise<void> {
  const tokenizer = await openTokenizer(flags.tokenizer, io);
  const outside = flags.ids.find((id) => id >= tokenizer.vocabSize);
  if (outside !== undefined) {
    throw new CliError(`--ids: token id ${outside} is outside the vocabulary 0…${tokenizer.vocabSize - 1}`);
  }
  const text = tokenizer.decode(flags.ids);
  io.stdout.write(flags.json ? `${JSON.stringify({ text })}\n` : `${text}\n`);
}

async function runTrain(flags: TrainFlags, io: CliIo): Promise<void> {
  if (flags.vocabSize < MIN_VOCAB || flags.vocabSize > MAX_VOCAB) {
    throw new CliError(
      `--vocab-size must be in ${MIN_VOCAB}…${MAX_VOCAB} (3 special and 256 byte pieces come first), got ${flags.vocabSize}`,
    );
  }
  const texts: string[] = [];
  let bytes = 0;
  for (const input of flags.input) {
    const path = resolve(io.cwd, input);
    try {
      texts.push(await readFile(path, 'utf8'));
    } catch (error) {
      throw new CliError(`--input: cannot read ${path}: ${describeFileError(error)}`);
    }
    bytes += (await stat(path)).size;
  }
  const start = performance.now();
  const model = trainBpe(texts, { vocabSize: flags.vocabSize });
  const seconds = (performance.now() - start) / 1000;
  const files = await saveTokenizer(model, resolve(io.cwd, flags.out));
  const vocabSize = model.pieces.length;
  if (flags.json) {
    io.stdout.write(
      `${JSON.stringify({ vocabSize, seconds: Math.round(seconds * 1000) / 1000, bytes, files })}\n`,
    );
    return;
  }
  const short = vocabSize < flags.vocabSize ? ` (the text has no more pairs to merge than that)` : '';
  io.stdout.write(
    `trained ${vocabSize} pieces${short} on ${formatBytes(bytes)} in ${seconds.toFixed(2)} s\n` +
      `wrote ${files.model}\n      ${files.json}\n      ${files.bin}\n`,
  );
}
