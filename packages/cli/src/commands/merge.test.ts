import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseNpy, parseSafetensors } from '@mini-llama/formats';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cli,
  saveTinyAdapter,
  saveTinyModel,
  TINY_CONFIG,
  temporaryDirectory,
} from '../../test/cli-harness.js';

let directory: string;
let model: string;
let adapter: string; // q, k, v, o of both layers
let mlpAdapter: string; // the feed-forward of layer 1
const TOKENS = '1,2,3,5,8,13,21,3,31,0';

beforeAll(async () => {
  directory = await temporaryDirectory();
  model = await saveTinyModel(directory);
  adapter = await saveTinyAdapter(model, directory, { name: 'attention', seed: 2 });
  mlpAdapter = await saveTinyAdapter(model, directory, {
    name: 'mlp',
    seed: 3,
    config: { targetModules: ['gate_proj', 'up_proj', 'down_proj'], layersToTransform: [1] },
  });
});

async function logitsOf(path: string, ...adapters: string[]): Promise<Float32Array> {
  const out = join(directory, `logits-${Math.random().toString(36).slice(2)}.npy`);
  const flags = adapters.flatMap((dir) => ['--adapter', dir]);
  const run = await cli(
    'forward',
    '--backend',
    'cpu',
    '--model',
    path,
    ...flags,
    '--tokens',
    TOKENS,
    '--out',
    out,
  );
  expect(run.stderr).not.toMatch(/^mini-llama/m);
  return parseNpy(new Uint8Array(await readFile(out))).data;
}

const lastLine = (text: string) => `${text.trim().split('\n').at(-1)}\n`;

async function merge(...args: string[]): Promise<string> {
  const run = await cli('merge', ...args);
  expect(run.stderr).not.toMatch(/^mini-llama/m);
  expect(run.code).toBe(0);
  return run.stdout;
}

describe('mini-llama merge', () => {
  it('writes merged weights whose logits are those of the base with the adapter', async () => {
    const out = join(directory, 'merged-hf');
    const printed = await merge('--model', model, '--adapter', adapter, '--out', out);
    expect(printed).toContain(`merged ${adapter} (CAUSAL_LM, r=2, 8 modules)`);
    expect(printed).toMatch(/wrote hf \(f32\):\n {2}.*config\.json/);
    const merged = await logitsOf(out);
    expect([...merged]).toEqual([...(await logitsOf(model, adapter))]);
    const base = await logitsOf(model);
    expect(Math.max(...merged.map((value, i) => Math.abs(value - base[i]!)))).toBeGreaterThan(1e-3);
  });

  it('stacks several adapters in order, and writes llama2.c files too', async () => {
    const out = join(directory, 'stacked.bin');
    const printed = await merge(
      '--model',
      model,
      '--adapter',
      adapter,
      '--adapter',
      mlpAdapter,
      '--out',
      out,
      '--to',
      'llama2c',
    );
    expect(printed).toContain(`merged ${mlpAdapter} (CAUSAL_LM, r=2, 3 modules)`);
    expect(printed).toContain('wrote llama2c (f32)');
    const stacked = await logitsOf(out);
    expect([...stacked]).toEqual([...(await logitsOf(model, adapter, mlpAdapter))]);
    const one = await logitsOf(model, adapter);
    expect(Math.max(...stacked.map((value, i) => Math.abs(value - one[i]!)))).toBeGreaterThan(1e-3);
  });

  it('merges a classification adapter and writes its head to classifier.safetensors', async () => {
    const classification = await saveTinyAdapter(model, directory, { name: 'cls', numLabels: 3, seed: 4 });
    writeFileSync(join(classification, 'labels.json'), JSON.stringify({ labelNames: ['a', 'b', 'c'] }));
    const out = join(directory, 'merged-cls');
    await merge('--model', model, '--adapter', classification, '--out', out, '--dtype', 'bf16');
    const head = parseSafetensors(
      new Uint8Array(readFileSync(join(out, 'classifier.safetensors'))),
      'classifier.safetensors',
    );
    const expected = parseSafetensors(
      new Uint8Array(readFileSync(join(classification, 'adapter_model.safetensors'))),
      'adapter_model.safetensors',
    ).tensors.get('base_model.model.score.weight')!;
    expect(head.tensors.get('score.weight')).toEqual(expected);
    expect(JSON.parse(readFileSync(join(out, 'labels.json'), 'utf8')).labelNames).toEqual(['a', 'b', 'c']);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).torch_dtype).toBe('bfloat16');
    const bin = await cli(
      'merge',
      '--model',
      model,
      '--adapter',
      classification,
      '--out',
      join(directory, 'x.bin'),
      '--to',
      'llama2c',
    );
    expect(bin.code).toBe(1);
    expect(bin.stderr).toContain(
      'is a classification adapter: its head is written as classifier.safetensors beside HF weights, so use --to hf',
    );
  });

  it('names what is wrong with an adapter', async () => {
    const other = await saveTinyModel(join(directory, 'other'), {
      ...TINY_CONFIG,
      dim: 32,
      nHeads: 4,
      nKvHeads: 2,
    });
    const foreign = await saveTinyAdapter(other, directory, { name: 'foreign' });
    const out = join(directory, 'never');
    const shape = await cli('merge', '--model', model, '--adapter', foreign, '--out', out);
    expect(shape.code).toBe(1);
    expect(lastLine(shape.stderr)).toBe(
      `mini-llama merge: ${join(foreign, 'adapter_model.safetensors')}: "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight" has shape [2,32], this model needs [2,16] (an adapter made for another base model?)\n`,
    );
    const missing = await cli('merge', '--model', model, '--adapter', join(directory, 'nope'), '--out', out);
    expect(lastLine(missing.stderr)).toBe(
      `mini-llama merge: ${join(directory, 'nope')}: no such adapter directory\n`,
    );
    const broken = await saveTinyAdapter(model, directory, { name: 'broken' });
    writeFileSync(join(broken, 'adapter_config.json'), '{"peft_type": "LORA", "r": 2,');
    const json = await cli('merge', '--model', model, '--adapter', broken, '--out', out);
    expect(lastLine(json.stderr)).toMatch(
      new RegExp(`^mini-llama merge: ${join(broken, 'adapter_config.json')}: invalid JSON`),
    );
    const unknown = await saveTinyAdapter(model, directory, { name: 'unknown' });
    const config = JSON.parse(readFileSync(join(unknown, 'adapter_config.json'), 'utf8'));
    writeFileSync(
      join(unknown, 'adapter_config.json'),
      JSON.stringify({ ...config, target_modules: ['q_proj', 'c_attn'] }),
    );
    const target = await cli('merge', '--model', model, '--adapter', unknown, '--out', out);
    expect(target.stderr).toContain(
      `${join(unknown, 'adapter_config.json')}: target_modules: unknown module "c_attn"`,
    );
    const required = await cli('merge', '--model', model, '--out', out);
    expect(required.stderr).toBe("mini-llama merge: required option '--adapter <dir>' not specified\n");
    expect(existsSync(out)).toBe(false);
  });
});
