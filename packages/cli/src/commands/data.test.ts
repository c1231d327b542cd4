import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, temporaryDirectory, tinyTokenizerBytes } from '../../test/cli-harness.js';

let directory: string;
let tokenizer: string;
const SHARED = join(import.meta.dirname, '../../../../../shared/data');
const HAS_UCI = existsSync(join(SHARED, 'uci-sentiment'));

beforeAll(async () => {
  directory = await temporaryDirectory();
  tokenizer = join(directory, 'tokenizer.bin');
  await writeFile(tokenizer, tinyTokenizerBytes());
});

describe('mini-llama data prepare', () => {
  it('writes shards and a manifest from TinyStories-style files', async () => {
    // The tiny tokenizer knows lowercase letters and spaces only.
    const stories = Array.from(
      { length: 40 },
      (_, i) => `the cat sat on mat number ${'x'.repeat(i % 7)} then slept`,
    );
    const input = join(directory, 'stories.txt');
    await writeFile(input, stories.join('\n<|endoftext|>\n'));
    const out = join(directory, 'shards');
    const run = await cli(
      'data',
      'prepare',
      '--tokenizer',
      tokenizer,
      '--input',
      input,
      '--out',
      out,
      '--val-fraction',
      '0.25',
      '--seed',
      '3',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      vocabSize: 32,
      dtype: 'uint16',
      tokenizer: { name: 'tokenizer.bin', bosId: 1, eosId: 2 },
    });
    expect(manifest.tokenizer.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.documents.train + manifest.documents.val).toBe(40);
    expect(manifest.documents.val).toBeGreaterThan(0);
    expect(manifest.split).toEqual({ rule: 'fnv1a-hash', seed: 3, valFraction: 0.25 });
    const first = await readFile(join(out, 'train-00000.bin'));
    expect(first.readUInt16LE(0)).toBe(1); // BOS
    expect(run.stdout).toContain(`wrote ${join(out, 'manifest.json')}`);
    expect(run.stdout).toMatch(/train {6}\d+ documents, [\d,]+ tokens in 1 shard\n/);
  });

  it('--val-input sends whole files to validation and the --input files to training', async () => {
    const train = join(directory, 'train-only.txt');
    const held = join(directory, 'val-only.txt');
    await writeFile(train, 'the cat sat on the mat');
    await writeFile(held, 'a dog ran');
    const out = join(directory, 'explicit-split');
    const run = await cli(
      'data',
      'prepare',
      '--tokenizer',
      tokenizer,
      '--input',
      train,
      '--val-input',
      held,
      '--out',
      out,
    );
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(/warning/);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.documents).toEqual({ train: 1, val: 1 });
    const tokensOf = (split: string) =>
      manifest.shards
        .filter((s: { split: string }) => s.split === split)
        .reduce((n: number, s: { tokens: number }) => n + s.tokens, 0);
    expect(tokensOf('val')).toBeLessThan(tokensOf('train'));
    expect(tokensOf('val')).toBeGreaterThan(0);
  });

  it('reads a JSONL field, from several inputs', async () => {
    const a = join(directory, 'a.jsonl');
    const b = join(directory, 'b.jsonl');
    await writeFile(a, '{"body": "the first"}\n{"body": "the second"}\n');
    await writeFile(b, '{"body": "the third"}\n');
    const out = join(directory, 'jsonl-shards');
    const run = await cli(
      'data',
      'prepare',
      '--tokenizer',
      tokenizer,
      '--input',
      a,
      b,
      '--out',
      out,
      '--text-field',
      'body',
      '--val-fraction',
      '0',
    );
    expect(run.code).toBe(0);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.documents).toEqual({ train: 3, val: 0 });
  });

  it('takes a directory holding the tokenizer, or a built-in tokenizer by name', async () => {
    const input = join(directory, 'one.txt');
    await writeFile(input, 'the cat sat');
    const fromDirectory = await cli(
      'data',
      'prepare',
      '--tokenizer',
      directory,
      '--input',
      input,
      '--out',
      join(directory, 'd1'),
    );
    expect(fromDirectory.code).toBe(0);
    const builtIn = await cli(
      'data',
      'prepare',
      '--tokenizer',
      'bytes',
      '--input',
      input,
      '--out',
      join(directory, 'd2'),
    );
    expect(builtIn.code).toBe(0);
    const manifest = JSON.parse(await readFile(join(directory, 'd2', 'manifest.json'), 'utf8'));
    expect(manifest.tokenizer).toEqual({ name: 'bytes', bosId: 1, eosId: 2 });
    expect(manifest.vocabSize).toBe(259);
  });

  it('names a bad record, a bad flag and a missing input in one line each', async () => {
    const bad = join(directory, 'bad.jsonl');
    await writeFile(bad, '{"text": "ok"}\n{"text": 5}\n');
    const out = join(directory, 'bad-shards');
    const record = await cli('data', 'prepare', '--tokenizer', tokenizer, '--input', bad, '--out', out);
    expect(record.code).toBe(1);
    expect(record.stderr).toBe(`mini-llama data: ${bad}:2: field 'text' must be a string, got number 5\n`);
    const flag = await cli(
      'data',
      'prepare',
      '--tokenizer',
      tokenizer,
      '--input',
      bad,
      '--out',
      out,
      '--val-fraction',
      '1',
    );
    expect(flag.stderr).toBe("mini-llama data: --val-fraction must be a number in [0, 1), got '1'\n");
    const missing = await cli(
      'data',
      'prepare',
      '--tokenizer',
      tokenizer,
      '--input',
      join(directory, 'nope.txt'),
      '--out',
      out,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^mini-llama data: .*nope\.txt: no such file or directory \(ENOENT\)/);
  });
});

describe('mini-llama data get', () => {
  let server: Server;
  let baseUrl: string;
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      const copy = request.url?.match(
        /^\/kvrao\/sentiment_analysis\/[0-9a-f]{40}\/sentiment%20labelled%20sentences\/(.+)$/,
      );
      if (copy) {
        // GitHub's raw layout: the UCI files from the workspace's copies when they are there, else other bytes
        const local = join(SHARED, 'uci-sentiment', copy[1]!);
        response.writeHead(200).end(existsSync(local) ? readFileSync(local) : 'other bytes\t1\n');
      } else if (request.url?.startsWith('/datasets/SetFit/sst5/resolve/')) {
        // JSON lines of the right shape, but not SetFit's bytes: the pinned SHA-256 must refuse them
        response.writeHead(200).end('{"text": "a fine film", "label": 3, "label_text": "positive"}\n');
      } else if (request.url?.startsWith('/datasets/stanfordnlp/sst2/resolve/main/data/')) {
        // Parquet's magic at both ends (a download without it is refused), whatever lies between.
        response.writeHead(200).end(`PAR1 parquet bytes of ${request.url} PAR1`);
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('downloads into the cache once, then reuses it without a request', async () => {
    const cache = join(directory, 'cache');
    const first = await cli('data', 'get', 'sst2', '--cache', cache, '--base-url', baseUrl);
    expect(first.code).toBe(0);
    expect(requests).toHaveLength(3);
    expect(first.stderr).toContain(
      `data get: downloading ${baseUrl}/datasets/stanfordnlp/sst2/resolve/main/data/train-00000-of-00001.parquet`,
    );
    const trainPath = join(cache, 'sst2', 'main', 'data', 'train-00000-of-00001.parquet');
    expect(first.stdout).toContain(`sst2 (stanfordnlp/sst2@main) in ${join(cache, 'sst2', 'main')}`);
    expect(first.stdout).toMatch(
      new RegExp(`train {7}${trainPath.replaceAll('/', '\\/')} .* sha256 [0-9a-f]{64} {2}downloaded`),
    );
    expect(first.stdout).toContain(`task spec: sst2:${trainPath}`);
    expect(await readFile(trainPath, 'utf8')).toBe(
      'PAR1 parquet bytes of /datasets/stanfordnlp/sst2/resolve/main/data/train-00000-of-00001.parquet PAR1',
    );

    const second = await cli('data', 'get', 'sst2', '--cache', cache, '--base-url', baseUrl);
    expect(second.code).toBe(0);
    expect(requests).toHaveLength(3);
    expect(second.stdout.match(/ cached$/gm)).toHaveLength(3);
  });

  it('reports a 404 with its URL, and an unknown dataset with the choices', async () => {
    const run = await cli(
      'data',
      'get',
      'ag_news',
      '--cache',
      join(directory, 'cache'),
      '--base-url',
      baseUrl,
    );
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n').at(-2)).toBe(
      `mini-llama data: GET ${baseUrl}/datasets/fancyzhx/ag_news/resolve/main/data/train-00000-of-00001.parquet: HTTP 404 Not Found`,
    );
    const unknown = await cli('data', 'get', 'imdb');
    expect(unknown.stderr).toBe(
      "mini-llama data: <dataset> must be one of sst2, ag_news, sst5, reference, got 'imdb'\n",
    );
    expect((await cli('data', 'get', 'sst2', 'train')).stderr).toBe(
      "mini-llama data: data get sst2: unexpected argument 'train' (sets are for data get reference)\n",
    );
    expect((await cli('data', 'get', 'reference', 'uci')).stderr).toBe(
      "mini-llama data: data get reference: no set 'uci'; the sets are ag_news, llama2-tokenizer, minllama-sst5-cfimdb, sst2, tinystories, uci-sentiment, llama2c\n",
    );
  });

  it.skipIf(HAS_UCI)('reference: bytes other than the pinned ones are refused and not kept', async () => {
    const cache = join(directory, 'cache-reference');
    const run = await cli(
      'data',
      'get',
      'reference',
      'uci-sentiment',
      '--cache',
      cache,
      '--base-url',
      baseUrl,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/amazon_cells_labelled\.txt: SHA-256 mismatch: expected 47003fc0/);
    expect(existsSync(join(cache, 'reference', 'uci-sentiment', 'amazon_cells_labelled.txt'))).toBe(false);
  });

  it.skipIf(!HAS_UCI)(
    `reference: a set lands in <cache>/reference/<set>/, and --print-dir prints that root for DATA=…${HAS_UCI ? '' : ' (skipped: ../shared/data/uci-sentiment is absent)'}`,
    async () => {
      const cache = join(directory, 'cache-reference');
      const root = join(cache, 'reference');
      const run = await cli(
        'data',
        'get',
        'reference',
        'uci-sentiment',
        '--cache',
        cache,
        '--base-url',
        baseUrl,
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`reference data in ${root} (DATA=${root} for docs/experiments)`);
      expect(run.stdout).toMatch(
        / {2}uci-sentiment\/imdb_labelled\.txt +83\.2 KiB {2}kvrao\/sentiment_analysis@462f7304 {2}downloaded/,
      );
      const again = await cli(
        'data',
        'get',
        'reference',
        'uci-sentiment',
        '--cache',
        cache,
        '--base-url',
        baseUrl,
        '--print-dir',
      );
      expect(again.stdout).toBe(`${root}\n`);
      expect(await readFile(join(root, 'uci-sentiment', 'yelp_labelled.txt'))).toEqual(
        readFileSync(join(SHARED, 'uci-sentiment', 'yelp_labelled.txt')),
      );
    },
  );

  it('sst5 is pinned to a commit and its files to their SHA-256: other bytes are refused and not kept', async () => {
    const cache = join(directory, 'cache-sst5');
    const run = await cli('data', 'get', 'sst5', '--cache', cache, '--base-url', baseUrl);
    expect(run.code).toBe(1);
    const commit = 'e51bdcd8cd3a30da231967c1a249ba59361279a3';
    expect(run.stderr).toContain(`downloading ${baseUrl}/datasets/SetFit/sst5/resolve/${commit}/train.jsonl`);
    expect(run.stderr).toMatch(
      /train\.jsonl: SHA-256 mismatch: expected 46bde4fb5abc93ffbadfa9a9f67de17c08a2f535cfb5756c59188d070434f433, got [0-9a-f]{64}/,
    );
    expect(existsSync(join(cache, 'sst5', commit, 'train.jsonl'))).toBe(false);
  });

  it('says in --help that the Hub was not reachable when this was built', async () => {
    const help = await cli('data', 'get', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/could not reach the Hub/);
    expect(help.stdout).toContain('--base-url <url>');
  });
});
