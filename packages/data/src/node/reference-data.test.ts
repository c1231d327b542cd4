import { readFileSync } from 'node:fs';
import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hasSharedData, needs, sharedData } from '../../test/shared-data.js';
import { ChecksumMismatchError, DownloadError } from './download-dataset.js';
import { getReferenceData } from './reference-data.js';
import { REFERENCE_SETS, type ReferenceFile } from './reference-sets.js';

// A stand-in for raw.githubusercontent.com on 127.0.0.1 (`/{owner}/{repo}/{commit}/{path}`). It serves the
// workspace's copies of the reference files (../shared/data; run.c from ../shared/peers) when they are there,
// so the pinned hashes are checked against the bytes the published numbers were measured on; `wrong` answers
// with other bytes, `missing` with 404.
const LOCAL_COPY: Record<string, string> = { 'llama2c/run.c': '../peers/llama2c/run.c' };
const localCopy = (set: string, file: ReferenceFile) =>
  sharedData(LOCAL_COPY[`${set}/${file.name}`] ?? `${set}/${file.name}`);
const served = new Map<string, string>();
for (const set of REFERENCE_SETS) {
  for (const file of set.files) {
    const path = file.path.split('/').map(encodeURIComponent).join('/');
    served.set(`/${file.repo}/${file.commit}/${path}`, localCopy(set.name, file));
  }
}

let server: Server;
let requests: string[] = [];
let mode: 'copies' | 'wrong' | 'missing' = 'copies';
let baseUrl: string;
let cacheRoot: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(request.url ?? '');
    const copy = served.get(request.url ?? '');
    if (!copy || mode === 'missing') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('404: Not Found');
      return;
    }
    const body = mode === 'wrong' ? 'not the file that was pinned\n' : readFileSync(copy);
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cacheRoot = await mkdtemp(join(tmpdir(), 'mini-llama-reference-'));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(cacheRoot, { recursive: true, force: true });
});
beforeEach(() => {
  requests = [];
  mode = 'copies';
});

const listing = async (directory: string) =>
  (await readdir(directory, { recursive: true }).catch(() => [])).map(String).sort();

describe('getReferenceData', () => {
  it('refuses bytes other than the pinned ones and leaves nothing under the file name', async () => {
    mode = 'wrong';
    const cacheDir = join(cacheRoot, 'wrong');
    const error = await getReferenceData(['uci-sentiment'], { cacheDir, baseUrl }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect((error as Error).message).toMatch(
      /uci-sentiment[/\\]amazon_cells_labelled\.txt: SHA-256 mismatch: expected 47003fc0a0d4840b.*nothing was written to the cache/,
    );
    // the path's spaces are encoded as GitHub serves it
    expect(requests).toEqual([
      '/kvrao/sentiment_analysis/462f7304ab341f1b5014e6eae56100bfe35d703a/sentiment%20labelled%20sentences/amazon_cells_labelled.txt',
    ]);
    expect(await listing(join(cacheDir, 'reference', 'uci-sentiment'))).toEqual([]);
  });

  it('names the URL when the server has no such file', async () => {
    mode = 'missing';
    const error = await getReferenceData(['llama2c'], {
      cacheDir: join(cacheRoot, 'missing'),
      baseUrl,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as Error).message).toBe(
      `GET ${baseUrl}/karpathy/llama2.c/350e04fe35433e6d2941dce5a1f53308f87058eb/run.c: HTTP 404 Not Found`,
    );
  });

  it('refuses a set it does not know, naming the ones it does', async () => {
    await expect(getReferenceData(['sst5', 'uci'], { cacheDir: cacheRoot, baseUrl })).rejects.toThrow(
      "unknown reference sets 'sst5', 'uci': the sets are ag_news, llama2-tokenizer, minllama-sst5-cfimdb, sst2, tinystories, uci-sentiment, llama2c",
    );
    expect(requests).toEqual([]);
  });
});

describe.skipIf(!hasSharedData('README.md'))(
  `getReferenceData against the workspace's copies${needs('README.md')}`,
  () => {
    const cacheDir = () => join(cacheRoot, 'all');

    it('fetches every set into <set>/<file>, byte for byte the copies the results were measured on', async () => {
      const data = await getReferenceData([], { cacheDir: cacheDir(), baseUrl });
      expect(data.directory).toBe(join(cacheDir(), 'reference'));
      expect(data.sets.map(({ set }) => set.name)).toEqual(REFERENCE_SETS.map((set) => set.name));
      const files = data.sets.flatMap(({ set, files }) => files.map((file) => ({ set: set.name, file })));
      expect(requests).toHaveLength(files.length);
      for (const { set, file } of files) {
        expect(file.localPath).toBe(join(data.directory, set, file.name));
        expect(file.downloaded).toBe(true);
        const pinned = REFERENCE_SETS.find((s) => s.name === set)!.files.find((f) => f.name === file.name)!;
        expect([file.bytes, file.sha256]).toEqual([pinned.bytes, pinned.sha256]);
        expect((await readFile(file.localPath)).equals(readFileSync(localCopy(set, file)))).toBe(true);
      }
      expect(await listing(join(data.directory, 'minllama-sst5-cfimdb'))).toEqual([
        'cache.json',
        'cfimdb-dev.txt',
        'cfimdb-label-mapping.json',
        'cfimdb-test.txt',
        'cfimdb-train.txt',
        'sst-dev.txt',
        'sst-label-mapping.json',
        'sst-test.txt',
        'sst-train.txt',
      ]);
    });

    it('a second call downloads nothing, and a cached file that changed is refused', async () => {
      const again = await getReferenceData(['sst2'], { cacheDir: cacheDir(), baseUrl });
      expect(requests).toEqual([]);
      expect(again.sets[0]!.files.every((file) => !file.downloaded)).toBe(true);
      const dev = again.sets[0]!.files.find((file) => file.name === 'dev.tsv')!;
      await appendFile(dev.localPath, 'an extra line\t1\n');
      await expect(getReferenceData(['sst2'], { cacheDir: cacheDir(), baseUrl })).rejects.toThrow(
        `${dev.localPath}: SHA-256 mismatch: expected ${dev.sha256}`,
      );
    });
  },
);
