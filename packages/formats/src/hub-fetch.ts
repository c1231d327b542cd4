// The Hub from a browser (or anywhere `fetch` runs, without a file system): a model repository's files into
// memory. The Hub answers browsers with CORS, and `fetch` follows its redirects to the CDN that serves LFS files;
// there is no cache here (the Node client, ./node/hf-hub.ts, keeps huggingface_hub's).
import { parseShardIndex } from './hf-llama.js';
import {
  DEFAULT_HUB_ENDPOINT,
  HUB_MODEL_FILES,
  type HubDownloadProgress,
  HubError,
  type HubReference,
  hubFileUrl,
  hubStatusError,
  parseHubReference,
} from './hub-reference.js';

export interface HubFetchOptions {
  /** Default https://huggingface.co (HF_ENDPOINT's default). */
  endpoint?: string;
  /** A token for private or gated repositories, sent to the endpoint only. */
  token?: string | null;
  fetch?: typeof fetch;
  onProgress?: (progress: HubDownloadProgress) => void;
}

export interface HubFiles {
  reference: HubReference;
  /** By name: config.json, the weights (model.safetensors, or the index and its shards) and the optional files the repository has. */
  files: Map<string, Uint8Array>;
}

/** Fetches what a model needs from `hf:ORG/NAME[@REVISION]` (`HUB_MODEL_FILES`) into memory. */
export async function fetchHubFiles(value: string, options: HubFetchOptions = {}): Promise<HubFiles> {
  const reference = parseHubReference(value);
  if (!reference) throw new HubError(`${value}: expected hf:ORG/NAME or hf:ORG/NAME@REVISION`);
  const endpoint = options.endpoint ?? DEFAULT_HUB_ENDPOINT;
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const files = new Map<string, Uint8Array>();
  const get = async (file: string, required: boolean): Promise<Uint8Array | null> => {
    const name = `${reference.repoId}@${reference.revision}: ${file}`;
    const url = hubFileUrl(endpoint, reference, file);
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let response: Response;
    try {
      response = await doFetch(url, { headers });
    } catch (error) {
      throw new HubError(`${name}: cannot reach ${endpoint} (${(error as Error).message})`);
    }
    // A file the repository lacks: 404 EntryNotFound (or a 404 whose code CORS hides from a page).
    const code = response.headers.get('x-error-code');
    const noSuchFile = response.status === 404 && (code === 'EntryNotFound' || (code === null && !required));
    if (noSuchFile && !required) return null;
    if (noSuchFile) throw new HubError(`${name}: no such file in the repository (404)`);
    if (!response.ok) throw hubStatusError(response, name, reference.repoId, reference.revision);
    const bytes = await readBody(response, file, options.onProgress);
    files.set(file, bytes);
    return bytes;
  };
  for (const file of HUB_MODEL_FILES.required) await get(file, true);
  const index = await get(HUB_MODEL_FILES.index, false);
  if (index) {
    const indexName = `${reference.repoId}@${reference.revision}: ${HUB_MODEL_FILES.index}`;
    const json = parseJson(index, indexName);
    for (const shard of parseShardIndex(json, indexName).shardFiles) await get(shard, true);
  } else {
    await get(HUB_MODEL_FILES.single, true);
  }
  for (const file of HUB_MODEL_FILES.optional) await get(file, false);
  return { reference, files };
}

/** The body, read as it arrives so progress can be reported. */
async function readBody(
  response: Response,
  file: string,
  onProgress: HubFetchOptions['onProgress'],
): Promise<Uint8Array> {
  const length = Number(response.headers.get('content-length'));
  const total = Number.isFinite(length) && length > 0 ? length : null;
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress?.({ file, received, total });
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

function parseJson(bytes: Uint8Array, name: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new HubError(`${name}: invalid JSON (${(error as Error).message})`);
  }
}
