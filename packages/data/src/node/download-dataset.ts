import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { temporaryPathFor, writeAtomic } from '@mini-llama/formats/node';
import { DataFormatError } from '../data-format-error.js';
import { DEFAULT_HUB_URL, type HubDataset, type HubDatasetFile, hubFileUrl } from './hub-datasets.js';

/** A file whose bytes are not the ones expected; the cache is left without it. */
export class ChecksumMismatchError extends Error {
  override name = 'ChecksumMismatchError';
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
    advice: string,
  ) {
    super(`${file}: SHA-256 mismatch: expected ${expected}, got ${actual}; ${advice}`);
  }
}

/** A download that the server refused or that broke off. */
export class DownloadError extends Error {
  override name = 'DownloadError';
}

export interface GetDatasetOptions {
  /** Cache root (defaultDatasetCache()); files go to `<cacheDir>/<name>/<revision>/<path in the repo>`. */
  cacheDir: string;
  baseUrl?: string; // DEFAULT_HUB_URL
  /** Progress messages, one line each. */
  log?: (message: string) => void;
}

export interface CachedFile extends HubDatasetFile, VerifiedFile {
  sha256: string;
}

export interface CachedDataset {
  dataset: HubDataset;
  directory: string;
  files: CachedFile[];
}

/** `cache.json` in a dataset's cache directory: what was downloaded, from where, and its SHA-256. */
interface CacheManifest {
  repo?: string;
  revision?: string;
  /** A reference set's name (its files come from several repositories: each file records its URL). */
  set?: string;
  files: Record<string, { sha256: string; bytes: number; url: string; downloadedAt: string }>;
}

export const CACHE_MANIFEST = 'cache.json';

/**
 * Makes sure every file of `dataset` is in the cache and verified; downloads only what is missing.
 *
 * Integrity: a file is checked against its pinned sha256 when the registry has one, else against the hash
 * recorded when it was first downloaded (trust on first use), on every call, cached or not. A download goes
 * to a temporary file beside its target and is renamed into place only once its hash is known good, so an
 * interrupted or rejected download leaves nothing under the file's name. The revision is part of the cache
 * path, so files of another revision are never taken for these.
 */
export async function getDataset(
  dataset: HubDataset,
  { cacheDir, baseUrl = DEFAULT_HUB_URL, log = () => {} }: GetDatasetOptions,
): Promise<CachedDataset> {
  const directory = join(cacheDir, dataset.name, encodeURIComponent(dataset.revision));
  const cached = await cacheFiles(
    directory,
    { repo: dataset.repo, revision: dataset.revision },
    dataset.files.map((file) => ({
      key: file.path,
      url: hubFileUrl(baseUrl, dataset, file.path),
      localPath: join(directory, ...file.path.split('/')),
      sha256: file.sha256,
    })),
    log,
  );
  const files = dataset.files.map((file, i) => ({ ...file, ...cached[i]! }));
  return { dataset, directory, files };
}

/** One file a cache directory must hold: where it comes from, and its SHA-256 when that is pinned. */
export interface FileToCache {
  /** Its name in the cache manifest. */
  key: string;
  url: string;
  localPath: string;
  sha256?: string;
}

export interface VerifiedFile {
  localPath: string;
  sha256: string;
  bytes: number;
  /** True when this call downloaded it; false when the cache already held it. */
  downloaded: boolean;
}

/**
 * Makes sure each file is in `directory`, verified against its pinned SHA-256 or else the one recorded in the
 * directory's cache.json at its first download (trust on first use); downloads only what is missing.
 */
export async function cacheFiles(
  directory: string,
  source: { repo?: string; revision?: string; set?: string },
  wanted: readonly FileToCache[],
  log: (message: string) => void,
): Promise<VerifiedFile[]> {
  const manifestPath = join(directory, CACHE_MANIFEST);
  const manifest = await readCacheManifest(manifestPath, source);
  const files: VerifiedFile[] = [];
  for (const { key, url, localPath, sha256: pinned } of wanted) {
    const recorded = manifest.files[key];
    let hashed = await hashFile(localPath);
    const downloaded = hashed === null;
    if (hashed) {
      const expected = pinned ?? recorded?.sha256;
      if (expected && expected !== hashed.sha256) {
        throw new ChecksumMismatchError(
          localPath,
          expected,
          hashed.sha256,
          'the cached file is not the one verified before: delete it to download it again',
        );
      }
    } else {
      log(`downloading ${url}`);
      hashed = await download(url, localPath, pinned);
    }
    if (recorded?.sha256 !== hashed.sha256) {
      manifest.files[key] = { ...hashed, url, downloadedAt: new Date().toISOString() };
      await writeAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    }
    files.push({ localPath, ...hashed, downloaded });
  }
  return files;
}

/** Streams `url` into `target` through a temporary file, hashing as it goes; renames only a verified file. */
async function download(
  url: string,
  target: string,
  pinned: string | undefined,
): Promise<{ sha256: string; bytes: number }> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow' });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    throw new DownloadError(`GET ${url}: ${(error as Error).message}${cause ? ` (${cause})` : ''}`);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new DownloadError(`GET ${url}: HTTP ${response.status} ${response.statusText}`.trim());
  }
  await mkdir(dirname(target), { recursive: true });
  const temporary = temporaryPathFor(target);
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          bytes += chunk.length;
          done(null, chunk);
        },
      }),
      createWriteStream(temporary),
    );
    const sha256 = hash.digest('hex');
    await checkContent(temporary, target, url, response.headers.get('content-type'));
    if (pinned && pinned !== sha256) {
      throw new ChecksumMismatchError(
        target,
        pinned,
        sha256,
        `downloaded from ${url}; nothing was written to the cache`,
      );
    }
    await rename(temporary, target);
    return { sha256, bytes };
  } catch (error) {
    await rm(temporary, { force: true });
    if (error instanceof ChecksumMismatchError || error instanceof DownloadError) throw error;
    throw new DownloadError(`GET ${url}: ${(error as Error).message}`);
  }
}

/**
 * Refuses a download that is not the file asked for: an HTML page (a login, an error or a captive portal
 * answering with 200), or a `.parquet` file without Parquet's magic bytes (`PAR1` at both ends).
 */
async function checkContent(
  downloaded: string,
  target: string,
  url: string,
  contentType: string | null,
): Promise<void> {
  const handle = await open(downloaded, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, 512));
    await handle.read(head, 0, head.length, 0);
    const tail = Buffer.alloc(Math.min(size, 4));
    await handle.read(tail, 0, tail.length, size - tail.length);
    const refuse = (what: string) =>
      new DownloadError(`GET ${url}: ${what}; nothing was written to the cache (${target})`);
    const looksHtml = /^\s*<(!doctype html|html|head|body)\b/i.test(head.toString('latin1'));
    if (/^text\/html\b/i.test(contentType ?? '') || looksHtml) {
      throw refuse(
        `the server answered with an HTML page${contentType ? ` (${contentType})` : ''}, not the data file (an error or login page?)`,
      );
    }
    if (target.toLowerCase().endsWith('.parquet')) {
      const magic = (bytes: Buffer) => bytes.toString('latin1') === 'PAR1';
      if (size < 12 || !magic(head.subarray(0, 4)) || !magic(tail)) {
        throw refuse(`not a Parquet file (${size} bytes, no PAR1 magic at both ends)`);
      }
    }
  } finally {
    await handle.close();
  }
}

/** SHA-256 and size of a file, or null when there is no such file. */
async function hashFile(path: string): Promise<{ sha256: string; bytes: number } | null> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) return null;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { sha256: hash.digest('hex'), bytes: info.size };
}

async function readCacheManifest(path: string, source: Omit<CacheManifest, 'files'>): Promise<CacheManifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return { ...source, files: {} };
  }
  try {
    const manifest = JSON.parse(text) as CacheManifest;
    if (typeof manifest.files !== 'object' || manifest.files === null) throw new Error('no files record');
    return manifest;
  } catch (error) {
    throw new DataFormatError(
      path,
      null,
      `unreadable cache manifest (${(error as Error).message}): delete the directory to start over`,
    );
  }
}
