// The built CLI in a plain Node process (no Vitest transforms): proves dist/bin.js runs as Node ESM, with
// tfjs gradients registered (the demo takes training steps), and maps errors to exit code 1.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { saveTinyModel, temporaryDirectory } from '../test/cli-harness.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const built = existsSync(bin);

function node(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
}

describe.skipIf(!built)(
  `dist/bin.js${built ? '' : ' (skipped: not built: pnpm --filter mini-llama build)'}`,
  () => {
    it('info reads a model', async () => {
      const model = await saveTinyModel(await temporaryDirectory());
      const run = node('info', model, '--json');
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ format: 'hf', parameters: 6736 });
    });

    it('demo runs the study end to end (gradients are registered) and writes its report', async () => {
      const out = await temporaryDirectory();
      const run = node(
        'demo',
        '--quick',
        '--steps',
        '4',
        '--finetune-steps',
        '2',
        '--alphas',
        '0,1',
        '--backend',
        'wasm',
        '--out',
        out,
      );
      expect(run.stderr).not.toMatch(/^mini-llama demo:/m);
      expect(run.status).toBe(0);
      expect(run.stderr).toMatch(/^step 4\/4 {2}loss [\d.]+/m);
      expect(run.stdout.split('\n').filter((line) => line.startsWith('> '))).toHaveLength(3);
      expect(run.stdout).toContain(`report: ${out}/report.html`);
    }, 300_000);

    it('bench measures each preset in a fresh process and collects their rows', () => {
      const run = node(
        'bench',
        '--presets',
        'stories260K,stories260K',
        '--backends',
        'wasm',
        '--batch',
        '1',
        '--seconds',
        '0.1',
        '--json',
        '--no-torch',
      );
      expect(run.status).toBe(0);
      const rows = JSON.parse(run.stdout) as { preset: string; mode: string; tokensPerSecond: number }[];
      expect(rows.map((row) => row.mode)).toEqual(['train', 'generate', 'train', 'generate']);
      for (const row of rows) expect(row.tokensPerSecond).toBeGreaterThan(0);
    });

    it('prints a library warning as one line (a data file that is not UTF-8)', async () => {
      const dir = await temporaryDirectory();
      writeFileSync(join(dir, 'old.txt'), Buffer.from('caf\xe9 society\nthe end\n', 'latin1'));
      const run = node(
        'data',
        'prepare',
        '--tokenizer',
        'bytes',
        '--input',
        join(dir, 'old.txt'),
        '--out',
        join(dir, 'c'),
      );
      expect(run.status).toBe(0);
      expect(run.stderr).toContain(`mini-llama: warning: ${join(dir, 'old.txt')}:1: not valid UTF-8`);
      expect(run.stderr).not.toMatch(/\(node:\d+\)|--trace-warnings/);
    });

    it('reports an error in one line with exit code 1', () => {
      const run = node('info', '/nonexistent/model.bin');
      expect(run.status).toBe(1);
      expect(run.stderr).toBe('mini-llama info: /nonexistent/model.bin: no such file or directory\n');
    });
  },
);
