// What an `hf:ORG/NAME[@REVISION]` reference names, which files of a model repository mini-llama reads, their URLs
// on the Hub and what each refusal of the Hub means. Browser-safe: the Node client with its cache
// (./node/hf-hub.ts) and the in-memory one (./hub-fetch.ts) share it.

/** A model on the Hub: `hf:ORG/NAME` or `hf:ORG/NAME@REVISION` (a branch, tag or commit). */
export interface HubReference {
  repoId: string;
  revision: string;
}

/** A failed Hub operation; the message names the repository and file, and says what to do. */
export class HubError extends Error {
  override name = 'HubError';
}

/** Progress of one file's download, in bytes (`total` null when the server did not say). */
export interface HubDownloadProgress {
  file: string;
  received: number;
  total: number | null;
}

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';
const HUB_PREFIX = 'hf:';
const REPO_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

/** The reference in `value` (`hf:ORG/NAME[@REVISION]`), null for anything else (a local path). */
export function parseHubReference(value: string): HubReference | null {
  if (!value.startsWith(HUB_PREFIX)) return null;
  const [repoId = '', revision = 'main', ...rest] = value.slice(HUB_PREFIX.length).split('@');
  if (!REPO_ID.test(repoId) || repoId.includes('..') || rest.length > 0 || revision === '') {
    throw new HubError(`${value}: expected hf:ORG/NAME or hf:ORG/NAME@REVISION (a branch, tag or commit)`);
  }
  return { repoId, revision };
}

/** What a model needs from its repository: its config and weights, and its tokenizer where it has one. */
export const HUB_MODEL_FILES = {
  required: ['config.json'],
  optional: [
    'generation_config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'special_tokens_map.json',
    'tokenizer.model',
  ],
  index: 'model.safetensors.index.json',
  single: 'model.safetensors',
} as const;

/** {endpoint}/{repo}/resolve/{revision}/{file}: where the Hub serves a file of a revision. */
export function hubFileUrl(endpoint: string, { repoId, revision }: HubReference, file: string): string {
  const path = file.split('/').map(encodeURIComponent).join('/');
  return `${endpoint.replace(/\/+$/, '')}/${repoId}/resolve/${encodeURIComponent(revision)}/${path}`;
}

/** The Hub's refusal of `name` as a sentence that says what to do. */
export function hubStatusError(response: Response, name: string, repoId: string, revision: string): HubError {
  const code = response.headers.get('x-error-code');
  const status = response.status;
  if (status === 401) {
    return new HubError(
      `${name}: the Hub refused access (401): ${repoId} is private or gated, or does not exist; set HF_TOKEN to a token that can read it`,
    );
  }
  if (status === 403) {
    return new HubError(
      `${name}: access denied (403)${code === 'GatedRepo' ? `: ${repoId} is gated; accept its terms on its page, with the account of HF_TOKEN` : ''}`,
    );
  }
  if (status === 404 && code === 'RevisionNotFound') {
    return new HubError(`${name}: ${repoId} has no revision ${revision} (404)`);
  }
  if (status === 404) return new HubError(`${name}: no repository ${repoId} on the Hub (404)`);
  if (status >= 500) return new HubError(`${name}: the Hub answered ${status}; try again later`);
  return new HubError(`${name}: the Hub answered ${status} ${response.statusText}`.trim());
}
