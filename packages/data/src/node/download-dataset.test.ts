import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixture } from '../../test/shared-data.js';
import { CACHE_MANIFEST, ChecksumMismatchError, DownloadError, getDataset } from './download-dataset.js';
import { HUB_DATASETS, type HubDataset } from './hub-datasets.js';
import { loadTask } from './load-task.js';

// A stand-in for the Hub on 127.0.0.1: the URL layout of huggingface.co, serving this package's fixtures.
const SERVED: Record<string, string> = {
  '/datasets/stanfordnlp/sst2/resolve/main/data/train-00000-of-00001.parquet': 'sst2-train.parquet',
  '/datasets/stanfordnlp/sst2/resolve/main/data/validation-00000-of-00001.parquet': 'sst2-train.parquet',
  '/datasets/stanfordnlp/sst2/resolve/main/data/test-00000-of-00001.parquet': 'sst2-test.parquet',
  '/datasets/someone/toy/resolve/main/data/train.parquet': 'ag_news-test.parquet',
};
// What misbehaving servers answer with status 200.
const HTML_PAGE = '<!DOCTYPE html>\n<html><body>Sign in to continue</body></html>\n';
const ODD: Record<string, { type: string; body: string }> = {
  '/datasets/someone/toy/resolve/main/data/portal.parquet': {
    type: 'text/html; charset=utf-8',
    body: HTML_PAGE,
  },
  '/datasets/someone/toy/resolve/main/data/untyped.csv': {
    type: 'application/octet-stream',
    body: HTML_PAGE,
  },
  '/datasets/someone/toy/resolve/main/data/cut.parquet': {
    type: 'application/octet-stream',
    body: 'PAR1 and then nothing',
  },
};

const sha256 = (name: string) =>
  createHash('sha256')
    .update(readFileSync(fixture(name)))
    .digest('hex');

let server: Server;
let baseUrl: string;
let requests: string[] = [];
let cacheRoot: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(request.url ?? '');
    const odd = ODD[request.url ?? ''];
    if (odd) {
      response.writeHead(200, { 'content-type': odd.type }).end(odd.body);
      return;
    }
    const name = SERVED[request.url ?? ''];
    if (!name) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(fixture(name)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cacheRoot = await mkdtemp(join(tmpdir(), 'mini-llama-cache-'));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(cacheRoot, { recursive: true, force: true });
});
beforeEach(() => {
  requests = [];
});

const toy = (
  overrides: Partial<HubDataset['files'][number]> = {},
  path = 'data/train.parquet',
): HubDataset => ({
  name: 'toy',
  repo: 'someone/toy',
  revision: 'main',
  task: 'ag_news',
  files: [{ path, split: 'train', ...overrides }],
});

/** Everything under a directory, recursively, as relative paths. */
async function listing(directory: string): Promise<string[]> {
  return (await readdir(directory, { recursive: true }).catch(() => [])).map(String).sort();
}

describe('getDataset', () => {
  it('downloads each file of SST-2 once, records its SHA-256, and the files load as the sst2 task', async () => {
    const cacheDir = join(cacheRoot, 'first');
    const first = await getDataset(HUB_DATASETS.sst2, { cacheDir, baseUrl });
    expect(requests).toHaveLength(3);
    expect(first.files.map((file) => [file.split, file.downloaded, file.sha256])).toEqual([
      ['train', true, sha256('sst2-train.parquet')],
      ['validation', true, sha256('sst2-train.parquet')],
      ['test', true, sha256('sst2-test.parquet')],
    ]);
    expect(first.directory).toBe(join(cacheDir, 'sst2', 'main'));
    const recorded = JSON.parse(await readFile(join(first.directory, CACHE_MANIFEST), 'utf8'));
    expect(recorded.files['data/test-00000-of-00001.parquet'].sha256).toBe(sha256('sst2-test.parquet'));
    const train = await loadTask({ task: 'sst2', path: first.files[0]!.localPath });
    expect(train.examples).toHaveLength(5);

    // Second call: everything is verified from the cache, and the server hears nothing.
    requests = [];
    const second = await getDataset(HUB_DATASETS.sst2, { cacheDir, baseUrl });
    expect(requests).toEqual([]);
    expect(second.files.every((file) => !file.downloaded)).toBe(true);
  });

  it('refuses a cached file that changed since its hash was recorded', async () => {
    const cacheDir = join(cacheRoot, 'tampered');
    const { files } = await getDataset(toy(), { cacheDir, baseUrl });
    await appendFile(files[0]!.localPath, 'x');
    const error = await getDataset(toy(), { cacheDir, baseUrl }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect((error as Error).message).toContain(files[0]!.localPath);
    expect((error as Error).message).toContain(`expected ${sha256('ag_news-test.parquet')}, got `);
  });

  it('rejects a download whose pinned SHA-256 differs, naming both hashes, and caches nothing', async () => {
    const cacheDir = join(cacheRoot, 'pinned');
    const wrong = '0'.repeat(64);
    const error = await getDataset(toy({ sha256: wrong }), { cacheDir, baseUrl }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `toy/main/data/train\\.parquet: SHA-256 mismatch: expected ${wrong}, got ${sha256('ag_news-test.parquet')}`,
      ),
    );
    expect(await listing(join(cacheDir, 'toy'))).toEqual(['main', 'main/data']); // no file, no .partial, no cache.json

    const pinned = await getDataset(toy({ sha256: sha256('ag_news-test.parquet') }), { cacheDir, baseUrl });
    expect(pinned.files[0]!.downloaded).toBe(true);
  });

  it('reports a 404 with the URL and leaves nothing behind', async () => {
    const cacheDir = join(cacheRoot, 'missing');
    const dataset = toy({}, 'data/absent.parquet');
    const error = await getDataset(dataset, { cacheDir, baseUrl }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as Error).message).toBe(
      `GET ${baseUrl}/datasets/someone/toy/resolve/main/data/absent.parquet: HTTP 404 Not Found`,
    );
    expect(await listing(join(cacheDir, 'toy'))).toEqual([]);
  });

  it('refuses an HTML page or a file that is not Parquet, served with status 200, and trusts nothing of it', async () => {
    const cacheDir = join(cacheRoot, 'odd');
    const url = (path: string) => `GET ${baseUrl}/datasets/someone/toy/resolve/main/${path}`;
    for (const [path, message] of [
      [
        'data/portal.parquet',
        'the server answered with an HTML page (text/html; charset=utf-8), not the data file (an error or login page?)',
      ],
      [
        'data/untyped.csv',
        'the server answered with an HTML page (application/octet-stream), not the data file (an error or login page?)',
      ],
      ['data/cut.parquet', 'not a Parquet file (21 bytes, no PAR1 magic at both ends)'],
    ] as const) {
      const error = await getDataset(toy({}, path), { cacheDir, baseUrl }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DownloadError);
      expect((error as Error).message).toBe(
        `${url(path)}: ${message}; nothing was written to the cache (${join(cacheDir, 'toy', 'main', path)})`,
      );
    }
    // No file and no recorded checksum: only the (empty) directories the downloads were to go into.
    expect(await listing(join(cacheDir, 'toy'))).toEqual(['main', 'main/data']);
  });

  it('names an unreachable server', async () => {
    const cacheDir = join(cacheRoot, 'unreachable');
    await expect(getDataset(toy(), { cacheDir, baseUrl: 'http://127.0.0.1:1' })).rejects.toThrow(
      /^GET http:\/\/127\.0\.0\.1:1\/datasets\/someone\/toy\/resolve\/main\/data\/train\.parquet: fetch failed/,
    );
  });
});
