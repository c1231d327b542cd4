// Where the Hugging Face Hub and its cache are, as huggingface_hub reads them from the environment, and what an
// `hf:ORG/NAME[@REVISION]` reference names. The cache layout and the download protocol are in ./hf-hub.ts.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_HUB_ENDPOINT } from '../hub-reference.js';

export { HubError, type HubReference, parseHubReference } from '../hub-reference.js';

/** Where and how to reach the Hub, from the environment variables huggingface_hub reads. */
export interface HubSettings {
  endpoint: string; // HF_ENDPOINT, default https://huggingface.co
  cacheDir: string; // HF_HUB_CACHE, default $HF_HOME/hub
  token: string | null; // HF_TOKEN, else the token file $HF_HOME/token (what `huggingface-cli login` writes)
  offline: boolean; // HF_HUB_OFFLINE=1: never touch the network, use the cache only
}

/** The settings huggingface_hub would use with this environment. */
export async function hubSettings(env: NodeJS.ProcessEnv = process.env): Promise<HubSettings> {
  const home = env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface');
  let token = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || null;
  if (!token) {
    const file = env.HF_TOKEN_PATH || join(home, 'token');
    token = (await readFile(file, 'utf8').catch(() => '')).trim() || null;
  }
  return {
    endpoint: (env.HF_ENDPOINT || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, ''),
    cacheDir: env.HF_HUB_CACHE || join(home, 'hub'),
    token,
    offline: ['1', 'on', 'yes', 'true'].includes((env.HF_HUB_OFFLINE ?? '').toLowerCase()),
  };
}

/** The repository's folder in the cache: models--ORG--NAME. */
export function repoCacheFolder(settings: HubSettings, repoId: string): string {
  return join(settings.cacheDir, `models--${repoId.replaceAll('/', '--')}`);
}
