import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type LoopbackHub, startLoopbackHub, temporaryDirectory } from '@mini-llama/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hfTensorsFromStateDict } from './hf-llama.js';
import {
  checkpointFromHfFiles,
  fetchHubFiles,
  type HubDownloadProgress,
  hfJsonFromConfig,
  serializeSafetensors,
} from './index.js';
import { readWeightFile, writeWeightFile } from './node/index.js';
import { formulaStateDict, tinyConfig } from './test-helpers.js';

let hub: LoopbackHub;
const config = tinyConfig();
const state = formulaStateDict(config);

beforeAll(async () => {
  const directory = join(await temporaryDirectory(), 'model');
  await writeWeightFile(directory, { config, stateDict: state }, { format: 'hf', dtype: 'BF16' });
  const files: Record<string, Uint8Array> = {};
  for (const name of await readdir(directory))
    files[name] = new Uint8Array(await readFile(join(directory, name)));
  // The same weights in two shards, with an index, as large checkpoints come.
  const tensors = hfTensorsFromStateDict(state, config);
  const names = [...tensors.keys()];
  const halves = [names.slice(0, 5), names.slice(5)];
  const sharded: Record<string, Uint8Array | string> = {
    'config.json': JSON.stringify(hfJsonFromConfig(config)),
  };
  const weightMap: Record<string, string> = {};
  halves.forEach((half, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    sharded[file] = serializeSafetensors(new Map(half.map((name) => [name, tensors.get(name)!])), {
      dtype: 'F32',
    });
    for (const name of half) weightMap[name] = file;
  });
  sharded['model.safetensors.index.json'] = JSON.stringify({ metadata: {}, weight_map: weightMap });
  hub = await startLoopbackHub({
    'org/tiny': { commit: 'a'.repeat(40), files: { ...files, 'tokenizer.json': '{"model": {}}' } },
    'org/sharded': { commit: 'b'.repeat(40), files: sharded },
    'org/private': { commit: 'c'.repeat(40), token: 'hf_yes', files },
  });
});
afterAll(() => hub.close());

describe('fetchHubFiles and checkpointFromHfFiles (the Hub without a file system)', () => {
  it('fetch config, weights and the optional files there are; the state dict equals the file reader’s', async () => {
    const progress: HubDownloadProgress[] = [];
    const { reference, files } = await fetchHubFiles('hf:org/tiny', {
      endpoint: hub.endpoint,
      onProgress: (p) => progress.push(p),
    });
    expect(reference).toEqual({ repoId: 'org/tiny', revision: 'main' });
    expect([...files.keys()].sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expect(progress.at(-1)).toMatchObject({ file: 'tokenizer.json' });
    const weights = progress.filter((p) => p.file === 'model.safetensors').at(-1)!;
    expect(weights.received).toBe(files.get('model.safetensors')!.length);
    expect(weights.total).toBe(weights.received);
    // LFS weights came through the CDN's redirect, as in a browser.
    expect(hub.requests.some((request) => request.url.startsWith('/cdn/'))).toBe(true);

    const checkpoint = checkpointFromHfFiles(files, 'org/tiny@main');
    const directory = join(await temporaryDirectory(), 'copy');
    await writeWeightFile(directory, { config, stateDict: state }, { format: 'hf', dtype: 'BF16' });
    const fromDisk = await readWeightFile(directory);
    expect(checkpoint.config).toEqual(fromDisk.config);
    expect(checkpoint.dtype).toBe('BF16');
    for (const [name, tensor] of fromDisk.stateDict) expect(checkpoint.stateDict.get(name)).toEqual(tensor);
  });

  it('follow a shard index', async () => {
    const { files } = await fetchHubFiles('hf:org/sharded', { endpoint: hub.endpoint });
    expect([...files.keys()].filter((name) => name.endsWith('.safetensors'))).toEqual([
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
    const checkpoint = checkpointFromHfFiles(files, 'org/sharded@main');
    for (const [name, tensor] of state) expect(checkpoint.stateDict.get(name)!.data).toEqual(tensor.data);
  });

  it('say what to do about a private repository and a missing revision; send the token to the Hub', async () => {
    await expect(fetchHubFiles('hf:org/private', { endpoint: hub.endpoint })).rejects.toThrow(
      'org/private@main: config.json: the Hub refused access (401): org/private is private or gated, or does not exist; set HF_TOKEN to a token that can read it',
    );
    const { files } = await fetchHubFiles('hf:org/private', { endpoint: hub.endpoint, token: 'hf_yes' });
    expect(files.has('model.safetensors')).toBe(true);
    await expect(fetchHubFiles('hf:org/tiny@v9', { endpoint: hub.endpoint })).rejects.toThrow(
      'org/tiny@v9: config.json: org/tiny has no revision v9 (404)',
    );
    await expect(fetchHubFiles('org/tiny', { endpoint: hub.endpoint })).rejects.toThrow(
      'org/tiny: expected hf:ORG/NAME or hf:ORG/NAME@REVISION',
    );
  });

  it('name the missing weights', () => {
    const files = new Map([
      ['config.json', new TextEncoder().encode(JSON.stringify(hfJsonFromConfig(config)))],
    ]);
    expect(() => checkpointFromHfFiles(files, 'org/x@main')).toThrow(
      'org/x@main: model.safetensors: missing',
    );
  });
});
