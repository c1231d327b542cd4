// A client of the Hugging Face Hub that downloads into the cache huggingface_hub keeps, so that what Python
// downloaded is used here and the other way round:
//
//   $HF_HUB_CACHE (default $HF_HOME/hub, $HF_HOME default ~/.cache/huggingface)/models--ORG--NAME/
//     blobs/<etag>                     the file's bytes, named by its ETag (sha256 for LFS files, git sha1 else)
//     blobs/<etag>.incomplete          a download in progress: resumed with an HTTP Range request
//     refs/<revision>                  the commit a branch or tag pointed to when last resolved
//     snapshots/<commit>/<file>        a relative symlink to ../../blobs/<etag>
//     .no_exist/<commit>/<file>        an empty marker: the file does not exist at that commit
//
// The protocol is huggingface_hub's hf_hub_download: HEAD {endpoint}/{repo}/resolve/{revision}/{file} gives the
// commit (X-Repo-Commit), the ETag (X-Linked-Etag for LFS files, which answer with a redirect to a CDN) and the
// size; the bytes come from GET on the same URL. @huggingface/hub's downloadFileToCacheDir was measured against
// this and not used: it writes no refs/, cannot resume, checks no hash, reports no progress and knows no
// offline mode.
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  HUB_MODEL_FILES,
  type HubDownloadProgress,
  HubError,
  type HubReference,
  hubFileUrl,
  hubStatusError,
  parseHubReference,
} from '../hub-reference.js';
import { writeAtomic } from './atomic-files.js';
import { COMMIT, etagProblem, exists, linkPointer, markMissing } from './hf-cache-files.js';
import { type HubSettings, hubSettings, repoCacheFolder } from './hf-hub-settings.js';

export type { HubDownloadProgress };

export interface HubDownloadOptions {
  settings?: HubSettings;
  onProgress?: (progress: HubDownloadProgress) => void;
  /** One-line notes: a resumed download, the cache used because the Hub could not be reached. */
  onMessage?: (message: string) => void;
  fetch?: typeof fetch;
}

const REQUIRED = HUB_MODEL_FILES.required;
const OPTIONAL = HUB_MODEL_FILES.optional;
const INDEX = HUB_MODEL_FILES.index;
const SINGLE = HUB_MODEL_FILES.single;

/**
 * Downloads (or finds in the cache) the files of a model repository that mini-llama reads, and returns the
 * snapshot directory that holds them: config.json, the safetensors weights (sharded by their index, or one
 * file), and the tokenizer and generation files the repository has.
 */
export async function downloadModel(
  reference: HubReference,
  options: HubDownloadOptions = {},
): Promise<string> {
  const settings = options.settings ?? (await hubSettings());
  const client = new HubFiles(reference, settings, options);
  let snapshot = '';
  for (const file of REQUIRED) snapshot = dirname((await client.file(file, 'required'))!);
  const index = await client.file(INDEX, 'optional');
  if (index) {
    const shards = shardNames(await readFile(index, 'utf8'), `${reference.repoId}/${INDEX}`);
    for (const shard of shards) await client.file(shard, 'required');
  } else if (!(await client.file(SINGLE, 'optional'))) {
    throw new HubError(
      `${reference.repoId}@${reference.revision}: holds neither ${SINGLE} nor ${INDEX} (mini-llama reads safetensors weights; a PyTorch .bin checkpoint can be converted with transformers' save_pretrained(safe_serialization=True))`,
    );
  }
  for (const file of OPTIONAL) await client.file(file, 'optional');
  return snapshot;
}

/** The local path of a model argument: `hf:ORG/NAME[@REV]` downloaded into the cache, anything else as it is. */
export async function resolveModelReference(
  value: string,
  options: HubDownloadOptions = {},
): Promise<string> {
  const reference = parseHubReference(value);
  return reference ? downloadModel(reference, options) : value;
}

function shardNames(text: string, name: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new HubError(`${name}: not JSON: ${(error as Error).message}`);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null) throw new HubError(`${name}: has no weight_map`);
  const shards = [...new Set(Object.values(map as Record<string, unknown>))];
  for (const shard of shards) {
    if (typeof shard !== 'string' || !/^[\w.-]+\.safetensors$/.test(shard)) {
      throw new HubError(
        `${name}: weight_map names ${JSON.stringify(shard)}, not a safetensors file beside it`,
      );
    }
  }
  return (shards as string[]).sort();
}

interface FileMetadata {
  commit: string;
  etag: string;
  size: number | null;
  url: string; // where GET fetches the bytes (the redirect target for LFS files)
}

/** Downloads the files of one repository at one revision into the cache. */
class HubFiles {
  private readonly folder: string;
  private readonly fetch: typeof fetch;
  private commit: string | null = null;
  private reachable = true;

  constructor(
    private readonly reference: HubReference,
    private readonly settings: HubSettings,
    private readonly options: HubDownloadOptions,
  ) {
    this.folder = repoCacheFolder(settings, reference.repoId);
    this.fetch = options.fetch ?? fetch;
  }

  /** The snapshot path of `file`, downloading it when the cache lacks it; null for a missing optional file. */
  async file(file: string, need: 'required' | 'optional'): Promise<string | null> {
    const name = `${this.reference.repoId}@${this.reference.revision}: ${file}`;
    if (this.settings.offline || !this.reachable) return this.fromCache(file, need, name);
    let metadata: FileMetadata | 'missing';
    try {
      metadata = await this.metadata(file, name);
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      // As huggingface_hub does: an unreachable Hub falls back to what the cache holds.
      this.reachable = false;
      this.options.onMessage?.(
        `could not reach ${this.settings.endpoint} (${error.message}): using the cache`,
      );
      return this.fromCache(file, need, name);
    }
    if (metadata === 'missing') {
      if (need === 'required') throw new HubError(`${name}: no such file in the repository (404)`);
      if (this.commit) await markMissing(join(this.folder, '.no_exist', this.commit, file));
      return null;
    }
    this.commit = metadata.commit;
    if (this.reference.revision !== metadata.commit) {
      await writeAtomic(join(this.folder, 'refs', this.reference.revision), metadata.commit);
    }
    const blob = join(this.folder, 'blobs', metadata.etag);
    const pointer = join(this.folder, 'snapshots', metadata.commit, file);
    if (!(await exists(blob))) await this.download(metadata, blob, file, name);
    await linkPointer(pointer, blob);
    return pointer;
  }

  private async fromCache(file: string, need: 'required' | 'optional', name: string): Promise<string | null> {
    const { revision } = this.reference;
    const commit = COMMIT.test(revision)
      ? revision
      : (await readFile(join(this.folder, 'refs', revision), 'utf8').catch(() => '')).trim();
    const why = this.settings.offline
      ? 'HF_HUB_OFFLINE is set'
      : `${this.settings.endpoint} cannot be reached`;
    if (!commit) {
      throw new HubError(
        `${name}: ${why} and the cache (${this.settings.cacheDir}) has no snapshot of this revision`,
      );
    }
    const pointer = join(this.folder, 'snapshots', commit, file);
    if (await exists(pointer)) return pointer;
    if (need === 'optional') return null;
    throw new HubError(`${name}: ${why} and the cache holds no ${file} for commit ${commit}`);
  }

  /** HEAD on the resolve URL: commit, ETag and size, as huggingface_hub's get_hf_file_metadata reads them. */
  private async metadata(file: string, name: string): Promise<FileMetadata | 'missing'> {
    const { repoId, revision } = this.reference;
    let url = hubFileUrl(this.settings.endpoint, { repoId, revision }, file);
    for (let hop = 0; hop < 5; hop++) {
      const response = await this.request(url, { method: 'HEAD', redirect: 'manual' });
      const location = response.headers.get('location');
      // A redirect to the Hub's own host is the Hub itself (a renamed repository): follow it; one to another
      // host is the CDN that serves an LFS file, whose metadata are the headers of this response (the rule of
      // huggingface_hub's _httpx_follow_relative_redirects).
      if (response.status >= 300 && response.status < 400 && location && sameHost(url, location)) {
        url = new URL(location, url).toString();
        continue;
      }
      if (response.status === 404 && response.headers.get('x-error-code') === 'EntryNotFound')
        return 'missing';
      if (response.status >= 400) throw hubStatusError(response, name, repoId, revision);
      const commit = response.headers.get('x-repo-commit');
      const etag = normalizeEtag(response.headers.get('x-linked-etag') ?? response.headers.get('etag'));
      if (!commit || !COMMIT.test(commit) || !etag) {
        throw new HubError(
          `${name}: ${this.settings.endpoint} did not answer like the Hub (no X-Repo-Commit or ETag header): is HF_ENDPOINT right?`,
        );
      }
      const size = Number(response.headers.get('x-linked-size') ?? response.headers.get('content-length'));
      return {
        commit,
        etag,
        size: Number.isSafeInteger(size) && size >= 0 ? size : null,
        url: location ? new URL(location, url).toString() : url,
      };
    }
    throw new HubError(`${name}: too many redirects`);
  }

  /**
   * GET into blobs/<etag>.incomplete, resuming what an earlier attempt left with a Range request; checked
   * against the size and the ETag (sha256 of an LFS file, git's blob sha1 of another) before it becomes the blob.
   */
  private async download(metadata: FileMetadata, blob: string, file: string, name: string): Promise<void> {
    const partial = `${blob}.incomplete`;
    await mkdir(dirname(blob), { recursive: true });
    const already = await stat(partial).then(
      (info) => info.size,
      () => 0,
    );
    const headers: Record<string, string> = {};
    if (already > 0) headers.range = `bytes=${already}-`;
    const response = await this.request(metadata.url, { headers });
    if (response.status === 416 && already > 0) {
      // The partial file is not a prefix the server can continue (it changed, or it is whole): start again.
      await rm(partial, { force: true });
      return this.download(metadata, blob, file, name);
    }
    if (response.status >= 400)
      throw hubStatusError(response, name, this.reference.repoId, this.reference.revision);
    const resumed = already > 0 && response.status === 206;
    if (resumed)
      this.options.onMessage?.(`${name}: resuming the download at ${already.toLocaleString('en-US')} bytes`);
    const start = resumed ? already : 0;
    const handle = await open(partial, resumed ? 'a' : 'w');
    let received = start;
    try {
      const reader = response.body?.getReader();
      if (!reader) throw new HubError(`${name}: the response has no body`);
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (error) {
          throw new HubError(
            `${name}: the download broke off after ${received.toLocaleString('en-US')}${metadata.size === null ? '' : ` of ${metadata.size.toLocaleString('en-US')}`} bytes (${causeOf(error)}); run again to resume it`,
          );
        }
        if (chunk.done) break;
        await handle.write(chunk.value);
        received += chunk.value.length;
        this.options.onProgress?.({ file, received, total: metadata.size });
      }
    } finally {
      await handle.close();
    }
    if (metadata.size !== null && received !== metadata.size) {
      throw new HubError(
        `${name}: the download ended after ${received.toLocaleString('en-US')} of ${metadata.size.toLocaleString('en-US')} bytes; run again to resume it`,
      );
    }
    const problem = await etagProblem(partial, metadata.etag);
    if (problem) {
      await rm(partial, { force: true });
      throw new HubError(`${name}: ${problem}; the download was discarded and nothing was cached`);
    }
    await rename(partial, blob);
  }

  private async request(url: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('user-agent', 'mini-llama');
    // The token goes to the Hub only, never to a CDN or another host it redirects to.
    if (this.settings.token && sameHost(this.settings.endpoint, url)) {
      headers.set('authorization', `Bearer ${this.settings.token}`);
    }
    try {
      return await this.fetch(url, { ...init, headers });
    } catch (error) {
      throw new NetworkError(causeOf(error));
    }
  }
}

class NetworkError extends Error {}

function sameHost(url: string, target: string): boolean {
  return new URL(target, url).hostname.toLowerCase() === new URL(url).hostname.toLowerCase();
}

function normalizeEtag(etag: string | null): string | null {
  if (!etag) return null;
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '') || null;
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}
