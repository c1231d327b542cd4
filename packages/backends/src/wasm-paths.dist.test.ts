// useBackend's wasmPaths, through the built package in a plain Node process: under Vitest the module that
// setWasmPaths configures and the one that starts wasm can be two instances, which would test nothing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const built = existsSync(entry);
const wasmDist = join(
  dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')),
  'dist',
);

/**
 * Starts wasm (one thread: tfjs's own start-up, what a browser runs) with `wasmPaths`, then again with other
 * paths; returns what happened and the .wasm files Node read.
 */
function startWith(wasmPaths: unknown) {
  const script = `
import { createRequire } from 'node:module';
const fs = createRequire(import.meta.url)('fs');
const read = [];
const readFileSync = fs.readFileSync;
fs.readFileSync = function (path, ...rest) {
  if (String(path).endsWith('.wasm')) read.push(String(path));
  return readFileSync.call(this, path, ...rest);
};
const { useBackend } = await import(${JSON.stringify(pathToFileURL(entry).href)});
const out = [];
for (const paths of [${JSON.stringify(wasmPaths)}, '/elsewhere/']) {
  const choice = await useBackend('wasm', { wasmThreads: 1, wasmPaths: paths });
  out.push({ name: choice.name, reason: choice.reason });
}
console.log(JSON.stringify({ out, read }));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
    out: { name: string; reason: string }[];
    read: string[];
  };
}

describe.skipIf(!built)(
  `useBackend wasmPaths (dist/index.js)${built ? '' : ' (skipped: dist/index.js is not built: pnpm build)'}`,
  () => {
    it('tells tfjs where its binaries are (one URL, here a path, per file), before wasm first starts', async () => {
      // copies of the binaries somewhere tfjs would never look by itself
      const elsewhere = await mkdtemp(join(tmpdir(), 'wasm-paths-'));
      const names = [
        'tfjs-backend-wasm.wasm',
        'tfjs-backend-wasm-simd.wasm',
        'tfjs-backend-wasm-threaded-simd.wasm',
      ] as const;
      for (const name of names) await copyFile(join(wasmDist, name), join(elsewhere, name));
      const files = Object.fromEntries(names.map((name) => [name, join(elsewhere, name)]));
      const { out, read } = startWith(files);
      expect(read.length).toBeGreaterThan(0);
      expect(read.every((path) => path.startsWith(elsewhere))).toBe(true);
      expect(out[0]).toEqual({ name: 'wasm', reason: 'requested explicitly' });
      // once started, the binaries are loaded: a later wasmPaths is reported, not silently ignored
      expect(out[1]).toEqual({
        name: 'wasm',
        reason: 'requested explicitly; already started: wasmPaths applies only before wasm first starts',
      });
    });
  },
);
