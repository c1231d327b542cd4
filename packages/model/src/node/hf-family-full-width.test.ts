import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useBackend } from '@mini-llama/backends';
import { parseNpy } from '@mini-llama/formats';
import { findPython, pythonSkipReason, skipNote, TENSORFLOW_TESTABLE } from '@mini-llama/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { generate } from '../index.js';
import { loadModel } from './index.js';

// The published configs at full width and vocabulary (one layer; Mistral-7B at a quarter width), made by
// transformers on demand (test/fixtures/hf-family/generate_full_width.py): too large to commit, so this runs
// where the venv of scripts/peft-venv.sh exists (or MINI_LLAMA_PEFT_PYTHON names a Python with transformers).
const SCRIPT = fileURLToPath(
  new URL('../../test/fixtures/hf-family/generate_full_width.py', import.meta.url),
);
const MODULES = ['torch', 'transformers', 'numpy'];
const python = findPython(MODULES);
const reason = pythonSkipReason(MODULES);
const work = mkdtempSync(join(tmpdir(), 'mini-llama-full-width-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function make(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(python!, [SCRIPT, work, name], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${name}: ${stderr.slice(-2000)}`)),
    );
  });
}

const backend = TENSORFLOW_TESTABLE ? 'tensorflow' : 'cpu';

describe.skipIf(!python)(
  `the Llama family at full width from transformers bf16 shards${skipNote(reason)}`,
  () => {
    it.each(['SmolLM2-135M', 'Qwen2.5-0.5B', 'TinyLlama-1.1B', 'Llama-3.2-1B', 'Mistral-7B-v0.1'])(
      `%s: logits within 1e-4 of transformers and the same greedy tokens (on ${backend})`,
      async (name) => {
        await make(name);
        await useBackend(backend);
        const want = JSON.parse(readFileSync(join(work, `${name}.expected.json`), 'utf8')) as {
          tokens: number[][];
          shape: [number, number, number];
          prompt: number[];
          greedy: number[];
        };
        const theirs = parseNpy(readFileSync(join(work, `${name}.logits.npy`))).data as Float32Array;
        const { model } = await loadModel(join(work, name));
        const logits = tf.tidy(() => model.forward(tf.tensor2d(want.tokens, [2, want.shape[1]], 'int32')));
        const ours = (await logits.data()) as Float32Array;
        logits.dispose();
        let worst = 0;
        for (let i = 0; i < theirs.length; i++) worst = Math.max(worst, Math.abs(theirs[i]! - ours[i]!));
        expect(worst).toBeLessThan(1e-4);
        const { tokens } = await generate(model, [want.prompt], {
          maxNewTokens: want.greedy.length,
          temperature: 0,
        });
        expect(tokens[0]).toEqual(want.greedy);
        model.dispose();
        rmSync(join(work, name), { recursive: true, force: true });
      },
      600_000,
    );
  },
);
