import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { useBackend } from './index.js';
import { defaultWasmThreads, registerThreadedWasm } from './wasm-threads-node.js';

// Runs in its own process (Vitest's forks pool), so the wasm backend starts here for the first time.
describe('wasm on several threads in Node', () => {
  it('starts tfjs threaded SIMD build with the threads asked for, and computes what cpu computes', async () => {
    const choice = await useBackend('wasm', { wasmThreads: 2 });
    expect(choice).toEqual({ name: 'wasm', reason: 'requested explicitly', failed: [], threads: 2 });

    // Large enough that XNNPACK splits the product across both threads.
    const a = tf.randomUniform([256, 192], -1, 1, 'float32', 1);
    const b = tf.randomUniform([192, 320], -1, 1, 'float32', 2);
    const onWasm = tf.tidy(() => tf.softmax(tf.matMul(a, b)).dataSync());
    const [aValues, bValues] = [a.arraySync() as number[][], b.arraySync() as number[][]];
    await tf.setBackend('cpu');
    const onCpu = tf.tidy(() => tf.softmax(tf.matMul(tf.tensor(aValues), tf.tensor(bValues))).dataSync());
    await tf.setBackend('wasm');
    const worst = Math.max(...Array.from(onWasm, (value, i) => Math.abs(value - (onCpu[i] ?? Number.NaN))));
    expect(worst).toBeLessThan(1e-5);
    tf.dispose([a, b]);
  });

  it('says so when threads are asked for after wasm already started with another count', async () => {
    const choice = await useBackend('wasm', { wasmThreads: 1 });
    expect(choice.threads).toBe(2);
    expect(choice.reason).toBe(
      'requested explicitly; already running on 2 threads: wasmThreads applies only before wasm first starts',
    );
  });

  it('defaults to one thread per core, at most 8, or to MINI_LLAMA_WASM_THREADS', () => {
    const saved = process.env.MINI_LLAMA_WASM_THREADS;
    try {
      delete process.env.MINI_LLAMA_WASM_THREADS;
      const threads = defaultWasmThreads();
      expect(threads).toBeGreaterThanOrEqual(1);
      expect(threads).toBeLessThanOrEqual(8);
      expect(defaultWasmThreads(true)).toBe(1); // generation: one thread unless told otherwise
      process.env.MINI_LLAMA_WASM_THREADS = '3';
      expect(defaultWasmThreads()).toBe(3);
      expect(defaultWasmThreads(true)).toBe(3);
      process.env.MINI_LLAMA_WASM_THREADS = 'many';
      expect(() => defaultWasmThreads()).toThrow(
        "MINI_LLAMA_WASM_THREADS must be an integer from 1 to 8, got 'many'",
      );
    } finally {
      if (saved === undefined) delete process.env.MINI_LLAMA_WASM_THREADS;
      else process.env.MINI_LLAMA_WASM_THREADS = saved;
    }
  });

  it('rejects a thread count tfjs cannot give', () => {
    expect(() => registerThreadedWasm(0)).toThrow(/wasm threads must be an integer from 1 to 8, got 0/);
    expect(() => registerThreadedWasm(9)).toThrow(/got 9/);
  });

  // The pool's workers must not keep a finished program alive (they are unref'd). Uses the built package.
  const built = path.resolve(__dirname, '../dist/index.js');
  const note = existsSync(built) ? '' : ' (skipped: dist/index.js is not built: pnpm build)';
  it.skipIf(!existsSync(built))(`a program that used threaded wasm exits on its own${note}`, () => {
    const script = `import { useBackend } from ${JSON.stringify(built)};
      import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
      const choice = await useBackend('wasm', { wasmThreads: 2 });
      console.log(choice.threads, tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).dataSync()[0]);`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: path.resolve(__dirname, '..'),
      timeout: 60_000,
      encoding: 'utf8',
    });
    expect(output.trim()).toBe('2 64');
  });
});
