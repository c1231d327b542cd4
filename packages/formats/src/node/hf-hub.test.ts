import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, readdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  findPython,
  type HubRepo,
  type LoopbackHub,
  pythonSkipReason,
  skipNote,
  startLoopbackHub,
  temporaryDirectory,
} from '@mini-llama/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serializeSafetensors } from '../safetensors.js';
import { downloadModel, type HubDownloadProgress, resolveModelReference } from './hf-hub.js';
import {
  HubError,
  type HubSettings,
  hubSettings,
  parseHubReference,
  repoCacheFolder,
} from './hf-hub-settings.js';

const COMMIT = 'a'.repeat(40);
const OTHER_COMMIT = 'b'.repeat(40);
const config = JSON.stringify({ model_type: 'llama', hidden_size: 8 });
// A large-ish LFS file, so that a cut connection leaves a real partial file.
const shard = (seed: number) =>
  serializeSafetensors(
    new Map([
      ['w', { shape: [4096], data: Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i + seed)) }],
    ]),
    { dtype: 'F32' },
  );
const repos = (): Record<string, HubRepo> => ({
  'org/sharded': {
    commit: COMMIT,
    refs: { main: COMMIT, v1: OTHER_COMMIT },
    files: {
      'config.json': config,
      'model.safetensors.index.json': JSON.stringify({
        metadata: {},
        weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' },
      }),
      'model-00001-of-00002.safetensors': shard(1),
      'model-00002-of-00002.safetensors': shard(2),
      'tokenizer.json': '{"model": {}}',
      'tokenizer_config.json': '{"eos_token": "</s>"}',
    },
  },
  'org/single': { commit: COMMIT, files: { 'config.json': config, 'model.safetensors': shard(3) } },
  'org/gated': {
    commit: COMMIT,
    token: 'hf_secret',
    files: { 'config.json': config, 'model.safetensors': shard(4) },
  },
  'org/no-weights': { commit: COMMIT, files: { 'config.json': config, 'pytorch_model.bin': 'x' } },
});

let hub: LoopbackHub;
let home: string;
let settings: HubSettings;

beforeAll(async () => {
  hub = await startLoopbackHub(repos());
});
afterAll(() => hub.close());
beforeEach(async () => {
  home = await temporaryDirectory();
  settings = await hubSettings({ HF_HOME: home, HF_ENDPOINT: hub.endpoint });
  hub.requests.length = 0;
  hub.faults.clear();
  hub.moved.clear();
});

/** Every path under the repository's cache folder, with what each is (file, link → target, directory). */
async function cacheListing(repoId: string): Promise<string[]> {
  const root = repoCacheFolder(settings, repoId);
  const out: string[] = [];
  const walk = async (directory: string) => {
    for (const name of (await readdir(directory).catch(() => [])).sort()) {
      const path = join(directory, name);
      const info = await lstat(path);
      const relativePath = path.slice(root.length + 1);
      if (info.isDirectory()) await walk(path);
      else out.push(info.isSymbolicLink() ? `${relativePath} -> ${await readlink(path)}` : relativePath);
    }
  };
  await walk(root);
  return out;
}

describe('hubSettings', () => {
  it('reads the environment as huggingface_hub does', async () => {
    const dir = await temporaryDirectory();
    await writeFile(join(dir, 'token'), 'hf_from_file\n');
    expect(await hubSettings({ HF_HOME: dir })).toEqual({
      endpoint: 'https://huggingface.co',
      cacheDir: join(dir, 'hub'),
      token: 'hf_from_file',
      offline: false,
    });
    expect(
      await hubSettings({
        HF_HOME: dir,
        HF_TOKEN: 'hf_env',
        HF_HUB_OFFLINE: '1',
        HF_ENDPOINT: 'http://mirror/',
        HF_HUB_CACHE: '/c',
      }),
    ).toEqual({ endpoint: 'http://mirror', cacheDir: '/c', token: 'hf_env', offline: true });
    expect((await hubSettings({ XDG_CACHE_HOME: '/x' })).cacheDir).toBe('/x/huggingface/hub');
  });

  it('parses hf:ORG/NAME[@REVISION] and refuses other forms', () => {
    expect(parseHubReference('hf:HuggingFaceTB/SmolLM2-135M')).toEqual({
      repoId: 'HuggingFaceTB/SmolLM2-135M',
      revision: 'main',
    });
    expect(parseHubReference('hf:org/name@v1.0')).toEqual({ repoId: 'org/name', revision: 'v1.0' });
    expect(parseHubReference('models/local')).toBeNull();
    for (const bad of ['hf:', 'hf:org/../x', 'hf:a/b/c', 'hf:org/name@', 'hf:org/name@a@b']) {
      expect(() => parseHubReference(bad), bad).toThrow(/expected hf:ORG\/NAME or hf:ORG\/NAME@REVISION/);
    }
  });
});

describe('downloadModel against a loopback Hub', () => {
  it('downloads config, index, shards and tokenizer files into the huggingface_hub cache layout', async () => {
    const progress: HubDownloadProgress[] = [];
    const snapshot = await downloadModel(
      { repoId: 'org/sharded', revision: 'main' },
      { settings, onProgress: (event) => progress.push(event) },
    );
    expect(snapshot).toBe(join(repoCacheFolder(settings, 'org/sharded'), 'snapshots', COMMIT));
    const files = repos()['org/sharded']!.files;
    for (const [name, content] of Object.entries(files)) {
      const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
      expect(new Uint8Array(await readFile(join(snapshot, name))), name).toEqual(bytes);
    }
    const listing = await cacheListing('org/sharded');
    expect(listing).toContain('refs/main');
    expect(await readFile(join(repoCacheFolder(settings, 'org/sharded'), 'refs', 'main'), 'utf8')).toBe(
      COMMIT,
    );
    expect(listing.filter((entry) => entry.startsWith('blobs/'))).toHaveLength(6);
    expect(listing).toContain(
      `snapshots/${COMMIT}/config.json -> ../../blobs/${/blobs\/(\w+)/.exec(listing.find((e) => e.includes('config.json ->'))!)![1]}`,
    );
    // files the repository lacks are remembered as huggingface_hub remembers them
    expect(listing).toContain(`.no_exist/${COMMIT}/tokenizer.model`);
    expect(listing.some((entry) => entry.endsWith('.incomplete'))).toBe(false);
    const last = progress.filter((event) => event.file === 'model-00001-of-00002.safetensors').at(-1)!;
    expect(last.received).toBe(last.total);
  });

  it('downloads nothing again: a second call only asks for metadata, and offline it asks for nothing', async () => {
    await downloadModel({ repoId: 'org/single', revision: 'main' }, { settings });
    hub.requests.length = 0;
    await downloadModel({ repoId: 'org/single', revision: 'main' }, { settings });
    expect(hub.requests.filter((request) => request.method !== 'HEAD')).toEqual([]);
    hub.requests.length = 0;
    const offline = { ...settings, offline: true };
    const snapshot = await downloadModel({ repoId: 'org/single', revision: 'main' }, { settings: offline });
    expect(hub.requests).toEqual([]);
    expect(existsSync(join(snapshot, 'model.safetensors'))).toBe(true);
    await expect(
      downloadModel({ repoId: 'org/single', revision: 'v9' }, { settings: offline }),
    ).rejects.toThrow('org/single@v9: config.json: HF_HUB_OFFLINE is set and the cache');
  });

  it('falls back to the cache, saying so, when the Hub cannot be reached', async () => {
    await downloadModel({ repoId: 'org/single', revision: 'main' }, { settings });
    const messages: string[] = [];
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = { ...settings, endpoint: `http://127.0.0.1:${port}` };
    const snapshot = await downloadModel(
      { repoId: 'org/single', revision: 'main' },
      { settings: unreachable, onMessage: (message) => messages.push(message) },
    );
    expect(existsSync(join(snapshot, 'config.json'))).toBe(true);
    expect(messages[0]).toMatch(
      new RegExp(`^could not reach http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\): using the cache$`),
    );
  });

  it('resumes a download that broke off, with a Range request, and checks the sha256', async () => {
    const file = 'model.safetensors';
    const size = (repos()['org/single']!.files[file] as Uint8Array).length;
    hub.faults.set(`org/single/${file}`, { kind: 'cut', afterBytes: 5000 });
    const error = await downloadModel({ repoId: 'org/single', revision: 'main' }, { settings }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(HubError);
    expect(error.message).toMatch(
      new RegExp(
        `^org/single@main: model\\.safetensors: the download (broke off|ended) after 5,000 (of ${size.toLocaleString('en-US')} )?bytes.*run again to resume it$`,
      ),
    );
    const blobs = join(repoCacheFolder(settings, 'org/single'), 'blobs');
    const partial = (await readdir(blobs)).filter((name) => name.endsWith('.incomplete'));
    expect(partial).toHaveLength(1);
    expect((await stat(join(blobs, partial[0]!))).size).toBe(5000);
    expect(existsSync(join(repoCacheFolder(settings, 'org/single'), 'snapshots', COMMIT, file))).toBe(false);

    hub.faults.clear();
    hub.requests.length = 0;
    const messages: string[] = [];
    const snapshot = await downloadModel(
      { repoId: 'org/single', revision: 'main' },
      { settings, onMessage: (m) => messages.push(m) },
    );
    expect(
      hub.requests.find((request) => request.method === 'GET' && request.url.startsWith('/cdn/'))!.range,
    ).toBe('bytes=5000-');
    expect(messages).toContain('org/single@main: model.safetensors: resuming the download at 5,000 bytes');
    expect(new Uint8Array(await readFile(join(snapshot, file)))).toEqual(repos()['org/single']!.files[file]);
  });

  it('discards bytes whose sha256 is not the one the Hub gives, and caches nothing', async () => {
    hub.faults.set('org/single/model.safetensors', { kind: 'corrupt' });
    await expect(downloadModel({ repoId: 'org/single', revision: 'main' }, { settings })).rejects.toThrow(
      /^org\/single@main: model\.safetensors: sha256 is [0-9a-f]{64}, the Hub says [0-9a-f]{64}; the download was discarded and nothing was cached$/,
    );
    const listing = await cacheListing('org/single');
    const cached = listing.filter((entry) => !entry.startsWith('.no_exist/')); // the index is known missing
    expect(
      cached.filter((entry) => entry.includes('model.safetensors') || entry.endsWith('.incomplete')),
    ).toEqual([]);
    expect(listing.filter((entry) => entry.startsWith('blobs/'))).toHaveLength(1); // config.json only
  });

  it.each([
    [
      'a private or gated repository without a token (401)',
      'org/gated',
      undefined,
      /org\/gated@main: config\.json: the Hub refused access \(401\): org\/gated is private or gated, or does not exist; set HF_TOKEN/,
    ],
    [
      'a missing repository',
      'org/nope',
      undefined,
      /org\/nope@main: config\.json: the Hub refused access \(401\)/,
    ],
    [
      'a missing revision',
      'org/single',
      'v7',
      /org\/single@v7: config\.json: org\/single has no revision v7 \(404\)/,
    ],
    [
      'a repository without safetensors weights',
      'org/no-weights',
      undefined,
      /org\/no-weights@main: holds neither model\.safetensors nor model\.safetensors\.index\.json/,
    ],
  ])('refuses %s with one line, and leaves no file in the cache', async (_, repoId, revision, message) => {
    const error = await downloadModel({ repoId, revision: revision ?? 'main' }, { settings }).catch((e) => e);
    expect(error).toBeInstanceOf(HubError);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
    expect(
      (await cacheListing(repoId)).filter(
        (entry) => entry.startsWith('snapshots/') && !entry.includes('config.json'),
      ),
    ).toEqual([]);
  });

  it('names the file a server error hit, and a missing required file', async () => {
    hub.faults.set('org/sharded/model-00002-of-00002.safetensors', { kind: 'status', status: 500 });
    await expect(downloadModel({ repoId: 'org/sharded', revision: 'main' }, { settings })).rejects.toThrow(
      'org/sharded@main: model-00002-of-00002.safetensors: the Hub answered 500; try again later',
    );
    expect(
      existsSync(
        join(
          repoCacheFolder(settings, 'org/sharded'),
          'snapshots',
          COMMIT,
          'model-00002-of-00002.safetensors',
        ),
      ),
    ).toBe(false);
    hub.faults.set('org/sharded/model-00002-of-00002.safetensors', {
      kind: 'status',
      status: 404,
      errorCode: 'EntryNotFound',
    });
    await expect(downloadModel({ repoId: 'org/sharded', revision: 'main' }, { settings })).rejects.toThrow(
      'org/sharded@main: model-00002-of-00002.safetensors: no such file in the repository (404)',
    );
  });

  it('sends HF_TOKEN to the Hub (and only to the Hub), follows a renamed repository, takes a tag', async () => {
    const withToken = { ...settings, token: 'hf_secret' };
    await downloadModel({ repoId: 'org/gated', revision: 'main' }, { settings: withToken });
    const toHub = hub.requests.filter((request) => request.url.includes('/resolve/'));
    expect(toHub.every((request) => request.authorization === 'Bearer hf_secret')).toBe(true);
    expect(
      hub.requests
        .filter((request) => request.url.startsWith('/cdn/'))
        .every((r) => r.authorization === null),
    ).toBe(true);

    hub.moved.set('org/old-name', 'org/single');
    const snapshot = await downloadModel({ repoId: 'org/old-name', revision: 'main' }, { settings });
    expect(existsSync(join(snapshot, 'model.safetensors'))).toBe(true);

    const tagged = await downloadModel({ repoId: 'org/sharded', revision: 'v1' }, { settings }).catch(
      (e) => e,
    );
    // v1 points at another commit, whose files this loopback Hub serves the same: a snapshot of that commit
    expect(tagged).toBe(join(repoCacheFolder(settings, 'org/sharded'), 'snapshots', OTHER_COMMIT));
    expect(await readFile(join(repoCacheFolder(settings, 'org/sharded'), 'refs', 'v1'), 'utf8')).toBe(
      OTHER_COMMIT,
    );
  });

  it('resolveModelReference passes local paths through', async () => {
    expect(await resolveModelReference('models/local', { settings })).toBe('models/local');
    expect(hub.requests).toEqual([]);
  });
});

// The Python side: huggingface_hub (in the venv of scripts/peft-venv.sh) reads what we cached, and we read what
// it cached, through the same loopback Hub.
const python = findPython(['huggingface_hub']);

describe.skipIf(!python)(
  `one cache with Python's huggingface_hub${skipNote(pythonSkipReason(['huggingface_hub']))}`,
  () => {
    const FILES = [
      'config.json',
      'model.safetensors.index.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'tokenizer.json',
    ];
    // Asynchronously: the loopback Hub answers from this process, which a synchronous spawn would block.
    const pythonDownload = (offline: boolean) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(
          python!,
          [
            '-c',
            'import sys, huggingface_hub as h\nfor f in sys.argv[1:]: print(h.hf_hub_download("org/sharded", f))',
            ...FILES,
          ],
          {
            env: {
              ...process.env,
              HF_HOME: home,
              HF_ENDPOINT: hub.endpoint,
              HF_HUB_OFFLINE: offline ? '1' : '0',
              HF_HUB_DISABLE_XET: '1',
            },
          },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const timer = setTimeout(() => child.kill(), 60_000);
        child.on('close', (status) => {
          clearTimeout(timer);
          resolve({ status, stdout, stderr });
        });
      });

    it('Python finds offline what we downloaded, at the same paths', async () => {
      const snapshot = await downloadModel({ repoId: 'org/sharded', revision: 'main' }, { settings });
      const run = await pythonDownload(true);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout.trim().split('\n')).toEqual(FILES.map((file) => join(snapshot, file)));
    });

    it('we find offline what Python downloaded', async () => {
      const run = await pythonDownload(false);
      expect(run.status, run.stderr).toBe(0);
      hub.requests.length = 0;
      const snapshot = await downloadModel(
        { repoId: 'org/sharded', revision: 'main' },
        { settings: { ...settings, offline: true } },
      );
      expect(hub.requests).toEqual([]);
      for (const file of FILES) expect(existsSync(join(snapshot, file)), file).toBe(true);
    });
  },
);
