// The loop a user runs on a real model, at a real model's size: a SmolLM2-135M-shaped checkpoint (transformers'
// bf16 files, random weights) from the Hub (a loopback server answering as the Hub does) is LoRA-fine-tuned by
// `finetune --init hf:…`; the adapter loads in the real peft library with the same logits; `merge --to hf` writes
// a folder transformers loads with those logits; `eval perplexity` and `wise-ft` take the model too.
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseNpy } from '@mini-llama/formats';
import { findPython, type LoopbackHub, pythonSkipReason, startLoopbackHub } from '@mini-llama/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliWithEnv, temporaryDirectory } from '../test/cli-harness.js';
import { writeSmolLm2LikeCheckpoint } from '../test/smollm2-checkpoint.js';

const run = promisify(execFile);
const MODULES = ['torch', 'transformers', 'peft'];
const SKIP = pythonSkipReason(MODULES);
const REPO = 'HuggingFaceTB/SmolLM2-135M';
const COMMIT = '9'.repeat(40);
const TOKENS = [49151, 504, 3458, 314, 253, 1176, 30, 2121, 17, 4059, 2006, 11, 288, 338, 3103, 13];

/** transformers' logits for `tokens` from `base` (float32), through PeftModel when an adapter is given. */
const LOGITS_PY = `
import sys, torch
from transformers import AutoModelForCausalLM
base, adapter, tokens, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
if adapter != "-":
    from peft import PeftModel
    model = PeftModel.from_pretrained(model, adapter)
model.eval()
with torch.no_grad():
    logits = model(input_ids=torch.tensor([[int(t) for t in tokens.split(",")]])).logits[0]
logits.float().numpy().astype("<f4").tofile(out)
`;

let python: string;
let hub: LoopbackHub;
let directory: string;
let env: Record<string, string>;
let snapshot: string;
let adapter: string;

async function torchLogits(base: string, adapterDir: string | null): Promise<Float32Array> {
  const out = join(directory, `torch-${Math.random().toString(36).slice(2)}.f32`);
  await run(python, ['-c', LOGITS_PY, base, adapterDir ?? '-', TOKENS.join(','), out], {
    maxBuffer: 1 << 24,
  });
  const bytes = await readFile(out);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

async function ourLogits(...modelArgs: string[]): Promise<Float32Array> {
  const out = join(directory, `ours-${Math.random().toString(36).slice(2)}.npy`);
  const forward = await cliWithEnv(env, 'forward', ...modelArgs, '--tokens', TOKENS.join(','), '--out', out);
  expect(forward.code, forward.stderr).toBe(0);
  return parseNpy(new Uint8Array(await readFile(out))).data as Float32Array;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let most = 0;
  for (let i = 0; i < a.length; i++) most = Math.max(most, Math.abs(a[i]! - b[i]!));
  return most;
}

describe.skipIf(SKIP)(
  `the whole loop on a SmolLM2-135M-shaped model from the Hub${SKIP ? ` (skipped: ${SKIP})` : ''}`,
  () => {
    beforeAll(async () => {
      python = findPython(MODULES)!;
      directory = await temporaryDirectory();
      const source = join(directory, 'smollm2');
      await mkdir(source, { recursive: true });
      await writeSmolLm2LikeCheckpoint(python, source);
      const files: Record<string, Uint8Array> = {};
      for (const name of await readdir(source))
        files[name] = new Uint8Array(await readFile(join(source, name)));
      hub = await startLoopbackHub({ [REPO]: { commit: COMMIT, files } });
      env = { HF_HOME: join(directory, 'hf-home'), HF_ENDPOINT: hub.endpoint };
      snapshot = join(env.HF_HOME!, 'hub', `models--${REPO.replace('/', '--')}`, 'snapshots', COMMIT);
      const rows = [
        ['The capital of France is', ' Paris.'],
        ['Two plus two is', ' four.'],
        ['The sky on a clear day is', ' blue.'],
        ['Water freezes at zero degrees', ' Celsius.'],
      ];
      const jsonl = Array.from({ length: 4 }, () => rows)
        .flat()
        .map(([prompt, completion]) => JSON.stringify({ prompt, completion }))
        .join('\n');
      await writeFile(join(directory, 'qa.jsonl'), `${jsonl}\n`);
      await writeFile(join(directory, 'text.txt'), `${rows.map((row) => row.join('')).join(' ')}\n`);
      adapter = join(directory, 'run');
    }, 600_000);
    afterAll(() => hub?.close());

    it('finetune --init hf:… --lora-rank 8 writes an adapter that peft loads with the same logits', async () => {
      const finetune = await cliWithEnv(
        env,
        'finetune',
        ...['--init', `hf:${REPO}`, '--lm-data', join(directory, 'qa.jsonl'), '--max-length', '32'],
        ...['--steps', '3', '--batch-size', '2', '--lr', '3e-3', '--lora-rank', '8', '--lora-alpha', '16'],
        ...['--lora-targets', 'q_proj,v_proj', '--out', adapter],
      );
      expect(finetune.code, finetune.stderr).toBe(0);
      // 30 layers × (q: 576·8 + 8·576, v: 576·8 + 8·192)
      expect(finetune.stderr).toContain('LoRA r=8 alpha=16 on 60 modules: trainable params: 460,800 ||');
      expect(finetune.stdout).toContain(`base ${snapshot}`);
      const config = JSON.parse(await readFile(join(adapter, 'adapter_config.json'), 'utf8'));
      expect(config).toMatchObject({ r: 8, lora_alpha: 16, task_type: 'CAUSAL_LM' });

      const ours = await ourLogits('--model', `hf:${REPO}`, '--adapter', adapter);
      const peft = await torchLogits(snapshot, adapter);
      expect(maxDifference(ours, peft)).toBeLessThan(1e-4);
      // The adapter changed the model: the check compares trained adapters, not two copies of the base.
      expect(maxDifference(peft, await torchLogits(snapshot, null))).toBeGreaterThan(1e-3);
    }, 600_000);

    it('merge --to hf writes a folder transformers loads, with the logits peft computes', async () => {
      const merged = join(directory, 'merged');
      const merge = await cliWithEnv(
        env,
        'merge',
        ...['--model', `hf:${REPO}`, '--adapter', adapter, '--out', merged, '--to', 'hf', '--dtype', 'f32'],
      );
      expect(merge.code, merge.stderr).toBe(0);
      const transformers = await torchLogits(merged, null);
      expect(maxDifference(transformers, await torchLogits(snapshot, adapter))).toBeLessThan(1e-4);
      expect(maxDifference(transformers, await ourLogits('--model', merged))).toBeLessThan(1e-4);
    }, 600_000);

    it('eval perplexity and wise-ft take the Hub model and its adapter', async () => {
      const text = join(directory, 'text.txt');
      const base = await cliWithEnv(
        env,
        'eval',
        'perplexity',
        '--model',
        `hf:${REPO}`,
        '--data',
        text,
        '--json',
      );
      expect(base.code, base.stderr).toBe(0);
      const tuned = await cliWithEnv(
        env,
        ...['eval', 'perplexity', '--model', `hf:${REPO}`, '--adapter', adapter, '--data', text, '--json'],
      );
      expect(tuned.code, tuned.stderr).toBe(0);
      const [before, after] = [JSON.parse(base.stdout), JSON.parse(tuned.stdout)];
      expect(after.tokens).toBe(before.tokens);
      expect(after.nll).not.toBe(before.nll);

      // WiSE-FT halfway along the adapter, saved as HF weights: transformers loads them.
      const half = join(directory, 'half');
      const wise = await cliWithEnv(
        env,
        ...['wise-ft', '--pretrained', `hf:${REPO}`, '--adapter', adapter, '--alpha', '0.5', '--save', half],
      );
      expect(wise.code, wise.stderr).toBe(0);
      const logits = await torchLogits(half, null);
      expect(maxDifference(logits, await ourLogits('--model', half))).toBeLessThan(1e-4);
    }, 600_000);
  },
);
