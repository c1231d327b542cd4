import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  MANIFEST_FILE,
  PRETRAINING_FORMATS,
  type PretrainingFormat,
  type ShardManifest,
} from '@mini-llama/data';
import {
  DEFAULT_GITHUB_RAW_URL,
  DEFAULT_HUB_URL,
  defaultDatasetCache,
  getDataset,
  getReferenceData,
  HUB_DATASET_NAMES,
  HUB_DATASETS,
  type HubDatasetName,
  prepareCorpus,
  REFERENCE_SET_NAMES,
} from '@mini-llama/data/node';
import { BUILT_IN_TOKENIZERS, openTokenizer, TOKENIZER_FILES } from '@mini-llama/tokenizer/node';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { nonNegativeInteger, oneOf, positiveInteger } from '../options.js';
import { exists, formatBytes, isDirectory } from '../paths.js';

interface PrepareFlags {
  tokenizer: string;
  input: string[];
  valInput?: string[];
  out: string;
  valFraction: number;
  seed: number;
  format?: PretrainingFormat;
  textField: string;
  shardTokens?: number;
}

interface GetFlags {
  cache?: string;
  baseUrl?: string;
  printDir?: boolean;
}

/** `data get reference`: the pinned files the experiments read, from GitHub, rather than a Hub dataset. */
const REFERENCE = 'reference';

const PROGRESS_EVERY_SECONDS = 5;

export function addDataCommand(program: Command, io: CliIo): void {
  const data = program
    .command('data')
    .description('Prepare pretraining corpora as token shards, and download classification datasets.');

  data
    .command('prepare')
    .description(
      'Tokenise text files into llama2.c-style shards (flat little-endian uint16/uint32 token ids) with a ' +
        'manifest.json: each document is BOS + its tokens, sent to train or val by a seeded hash of its text.',
    )
    .requiredOption(
      '--tokenizer <path>',
      `tokenizer.model / tokenizer.json / tokenizer.bin, a directory holding one, or ${BUILT_IN_TOKENIZERS.join(' or ')}`,
    )
    .requiredOption('--input <files...>', 'text files to read')
    .option(
      '--val-input <files...>',
      'files for the validation split (then --input is all training; no hash split)',
    )
    .requiredOption('--out <dir>', 'directory for the shards and manifest.json')
    .option('--val-fraction <f>', 'share of documents for validation, in [0, 1)', fraction, 0.1)
    .option('--seed <s>', 'seed of the train/val split', nonNegativeInteger('--seed'), 0)
    .option(
      '--format <name>',
      'text: a file is one document; jsonl: one JSON object per line; tinystories: documents separated by ' +
        '<|endoftext|> (default: jsonl for .jsonl files, tinystories if the file has the separator, else text)',
      oneOf('--format', PRETRAINING_FORMATS),
    )
    .option('--text-field <name>', 'the JSONL field holding the text', 'text')
    .option(
      '--shard-tokens <n>',
      'tokens per shard file (default: 67,108,864)',
      positiveInteger('--shard-tokens'),
    )
    .action((flags: PrepareFlags) => runPrepare(flags, io));

  data
    .command('get')
    .description(
      `Download a dataset's files (Parquet; JSON lines for sst5) from the Hugging Face Hub into a local cache ` +
        'and print where they are ' +
        `(${HUB_DATASET_NAMES.map((name) => `${name}: ${HUB_DATASETS[name].repo}`).join(', ')}); or, as ` +
        `'${REFERENCE}', the reference data the experiments in docs/experiments read, each file pinned to a ` +
        'commit of a GitHub repository and to its SHA-256.',
    )
    .argument(
      '<dataset>',
      [...HUB_DATASET_NAMES, REFERENCE].join(', '),
      oneOf('<dataset>', [...HUB_DATASET_NAMES, REFERENCE]),
    )
    .argument('[sets...]', `with ${REFERENCE}: which sets (default all: ${REFERENCE_SET_NAMES.join(', ')})`)
    .option(
      '--cache <dir>',
      'cache directory (default: $MINI_LLAMA_CACHE/datasets or ~/.cache/mini-llama/datasets)',
    )
    .option(
      '--base-url <url>',
      `the Hub or a mirror with its URL layout (default: $HF_ENDPOINT or ${DEFAULT_HUB_URL}); with ` +
        `${REFERENCE}, GitHub's raw host or a mirror with its layout (default ${DEFAULT_GITHUB_RAW_URL})`,
    )
    .option(
      '--print-dir',
      'print only the directory the files are in (for scripts: DATA=$(mini-llama data get reference --print-dir))',
    )
    .addHelpText(
      'after',
      '\nFiles are fetched from <base-url>/datasets/<repo>/resolve/<revision>/<path>. sst5 (SetFit/sst5, JSON ' +
        'lines) is pinned to a commit and each file to its SHA-256. For sst2 and ag_news (revision main) the ' +
        "build machine of this command could not reach the Hub, so the file list follows the datasets' cards " +
        'and no checksum is pinned: the SHA-256 of the first download is recorded in the cache and checked on ' +
        `every later use.\n\n${REFERENCE} fetches <base-url>/<owner>/<repo>/<commit>/<path> into ` +
        '<cache>/reference/<set>/<file>: SST-2 (GLUE TSVs), SST-5 and CFIMDB (minllama), the UCI sentiment ' +
        "sentences, AG News CSVs, TinyStories subsets, the Llama 2 tokenizer and llama2.c's run.c — the bytes " +
        'docs/results.md was measured on; other bytes are refused.',
    )
    .action((name: HubDatasetName | typeof REFERENCE, sets: string[], flags: GetFlags) =>
      name === REFERENCE ? runGetReference(sets, flags, io) : runGet(name, sets, flags, io),
    );
}

async function runPrepare(flags: PrepareFlags, io: CliIo): Promise<void> {
  const { tokenizer, file } = await openTokenizer(await tokenizerFileIn(flags.tokenizer, io.cwd), io.cwd);
  // The manifest records the tokenizer file's hash, so a trainer can tell that the right one is loaded.
  const tokenizerSha256 = file
    ? createHash('sha256')
        .update(await readFile(file))
        .digest('hex')
    : undefined;
  const outDir = resolve(io.cwd, flags.out);
  let lastLine = performance.now();
  const manifest = await prepareCorpus({
    tokenizer,
    tokenizerName: file ? basename(file) : flags.tokenizer,
    ...(tokenizerSha256 ? { tokenizerSha256 } : {}),
    inputs: flags.input.map((input) => resolve(io.cwd, input)),
    valInputs: (flags.valInput ?? []).map((input) => resolve(io.cwd, input)),
    outDir,
    format: flags.format ?? 'auto',
    textField: flags.textField,
    valFraction: flags.valFraction,
    seed: flags.seed,
    ...(flags.shardTokens ? { shardTokens: flags.shardTokens } : {}),
    onDocument: (documents, tokens) => {
      if (performance.now() - lastLine < PROGRESS_EVERY_SECONDS * 1000) return;
      lastLine = performance.now();
      io.stderr.write(
        `data prepare: ${documents.toLocaleString('en-US')} documents, ${tokens.toLocaleString('en-US')} tokens\n`,
      );
    },
  });
  const total = manifest.documents.train + manifest.documents.val;
  if (total === 0)
    throw new CliError(`no documents in ${flags.input.join(', ')} (--format ${flags.format ?? 'auto'})`);
  if (flags.valFraction > 0 && !flags.valInput && manifest.documents.val === 0) {
    io.stderr.write(
      `data prepare: warning: none of the ${total} documents went to validation (--val-fraction ${flags.valFraction}); ` +
        'the split is by document, so a corpus of few documents may get none\n',
    );
  }
  io.stdout.write(`${describeManifest(manifest, outDir).join('\n')}\n`);
}

function describeManifest(manifest: ShardManifest, outDir: string): string[] {
  const lines = [
    `wrote ${join(outDir, MANIFEST_FILE)}`,
    `  tokenizer  ${manifest.tokenizer.name} (${manifest.vocabSize} tokens, stored as ${manifest.dtype})`,
  ];
  for (const split of ['train', 'val'] as const) {
    const shards = manifest.shards.filter((shard) => shard.split === split);
    const tokens = shards.reduce((sum, shard) => sum + shard.tokens, 0);
    lines.push(
      `  ${split.padEnd(9)}  ${manifest.documents[split].toLocaleString('en-US')} documents, ` +
        `${tokens.toLocaleString('en-US')} tokens in ${shards.length} shard${shards.length === 1 ? '' : 's'}`,
    );
  }
  return lines;
}

async function runGet(name: HubDatasetName, sets: string[], flags: GetFlags, io: CliIo): Promise<void> {
  if (sets.length > 0) {
    throw new CliError(
      `data get ${name}: unexpected argument '${sets[0]}' (sets are for data get ${REFERENCE})`,
    );
  }
  const dataset = HUB_DATASETS[name];
  const cacheDir = flags.cache ? resolve(io.cwd, flags.cache) : defaultDatasetCache(io.env);
  const baseUrl = flags.baseUrl ?? io.env['HF_ENDPOINT'] ?? DEFAULT_HUB_URL;
  const cached = await getDataset(dataset, {
    cacheDir,
    baseUrl,
    log: (message) => io.stderr.write(`data get: ${message}\n`),
  });
  if (flags.printDir) {
    io.stdout.write(`${cached.directory}\n`);
    return;
  }
  const lines = [`${name} (${dataset.repo}@${dataset.revision}) in ${cached.directory}`];
  for (const file of cached.files) {
    lines.push(
      `  ${file.split.padEnd(10)}  ${file.localPath}  ${formatBytes(file.bytes)}  ` +
        `sha256 ${file.sha256}  ${file.downloaded ? 'downloaded' : 'cached'}`,
    );
  }
  const example = cached.files.find((file) => file.split !== 'test') ?? cached.files[0];
  if (example) lines.push(`task spec: ${dataset.task}:${example.localPath}`);
  io.stdout.write(`${lines.join('\n')}\n`);
}

async function runGetReference(sets: string[], flags: GetFlags, io: CliIo): Promise<void> {
  const unknown = sets.find((set) => !(REFERENCE_SET_NAMES as string[]).includes(set));
  if (unknown !== undefined) {
    throw new CliError(
      `data get ${REFERENCE}: no set '${unknown}'; the sets are ${REFERENCE_SET_NAMES.join(', ')}`,
    );
  }
  const data = await getReferenceData(sets, {
    cacheDir: flags.cache ? resolve(io.cwd, flags.cache) : defaultDatasetCache(io.env),
    baseUrl: flags.baseUrl ?? DEFAULT_GITHUB_RAW_URL,
    log: (message) => io.stderr.write(`data get: ${message}\n`),
  });
  if (flags.printDir) {
    io.stdout.write(`${data.directory}\n`);
    return;
  }
  const lines = [`reference data in ${data.directory} (DATA=${data.directory} for docs/experiments)`];
  for (const { set, files } of data.sets) {
    for (const file of files) {
      lines.push(
        `  ${`${set.name}/${file.name}`.padEnd(50)}  ${formatBytes(file.bytes).padStart(8)}  ` +
          `${file.repo}@${file.commit.slice(0, 8)}  ${file.downloaded ? 'downloaded' : 'cached'}`,
      );
    }
  }
  io.stdout.write(`${lines.join('\n')}\n`);
}

/** A directory given as --tokenizer → the first of TOKENIZER_FILES in it; anything else as given. */
async function tokenizerFileIn(value: string, cwd: string): Promise<string> {
  const path = resolve(cwd, value);
  if (!(await isDirectory(path))) return value;
  for (const name of TOKENIZER_FILES) {
    if (await exists(join(path, name))) return join(path, name);
  }
  throw new CliError(`--tokenizer: ${path} holds none of ${TOKENIZER_FILES.join(', ')}`);
}

/** --val-fraction: a number in [0, 1). */
function fraction(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !(number >= 0 && number < 1)) {
    throw new CliError(`--val-fraction must be a number in [0, 1), got '${value}'`);
  }
  return number;
}
