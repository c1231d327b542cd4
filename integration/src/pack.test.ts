import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const published = ['layers', 'model', 'backends', 'tokenizer', 'cli'];
const TFJS = '4.22.0';

/**
 * Packs every published package with `pnpm pack` (which rewrites workspace: ranges to versions), installs
 * the tarballs with npm into a fresh project outside the workspace, and runs a forward pass and a training
 * step there from ESM and from CommonJS — what a user of `npm install @mini-llama/model` gets.
 */
describe('the packed packages in an outside project', () => {
  let project = '';

  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'mini-llama-pack-'));
    const tarballs = join(project, 'tarballs');
    for (const name of published) {
      execFileSync('pnpm', ['pack', '--pack-destination', tarballs], {
        cwd: join(root, 'packages', name),
        stdio: 'pipe',
      });
    }
    const files = readdirSync(tarballs);
    const tarballOf = (prefix: string) => {
      const file = files.find((f) => f.startsWith(prefix));
      if (!file) throw new Error(`no tarball for ${prefix} in ${files.join(', ')}`);
      return `file:${join(tarballs, file)}`;
    };
    const local = {
      '@mini-llama/layers': tarballOf('mini-llama-layers-'),
      '@mini-llama/model': tarballOf('mini-llama-model-'),
      '@mini-llama/backends': tarballOf('mini-llama-backends-'),
      '@mini-llama/tokenizer': tarballOf('mini-llama-tokenizer-'),
      'mini-llama': tarballOf('mini-llama-0'),
    };
    const manifest = {
      name: 'outside-project',
      private: true,
      type: 'module',
      dependencies: { ...local, '@tensorflow/tfjs-core': TFJS, '@tensorflow/tfjs-backend-cpu': TFJS },
      overrides: local,
    };
    writeFileSync(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: project,
      stdio: 'pipe',
    });
  });

  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  const trainScript = (load: string) => `${load}
async function main() {
  await useBackend('cpu');
  const model = new LlamaModel({ dim: 16, nLayers: 1, nHeads: 2, vocabSize: 20, maxSeqLen: 8, multipleOf: 4 }, { seed: 1 });
  const inputs = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
  const targets = tf.tensor2d([[2, 3, 4, 5]], [1, 4], 'int32');
  const logits = model.forward(inputs);
  const optimizer = tf.train.sgd(0.5);
  const losses = [];
  for (let step = 0; step < 5; step++) {
    const loss = optimizer.minimize(() => crossEntropy(model.forward(inputs), targets), true);
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  console.log(JSON.stringify({ shape: logits.shape, losses }));
}
main();
`;

  it('runs a forward pass and training steps from ESM', () => {
    const script = trainScript(`import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@mini-llama/backends';
import { crossEntropy } from '@mini-llama/layers';
import { LlamaModel } from '@mini-llama/model';`);
    writeFileSync(join(project, 'train.mjs'), script);
    const result = JSON.parse(execFileSync('node', ['train.mjs'], { cwd: project, encoding: 'utf8' }));
    expect(result.shape).toEqual([1, 4, 20]);
    expect(result.losses[4]).toBeLessThan(result.losses[0]);
  });

  it('runs the same from CommonJS', () => {
    const script = trainScript(`const tf = require('@tensorflow/tfjs-core');
const { useBackend } = require('@mini-llama/backends');
const { crossEntropy } = require('@mini-llama/layers');
const { LlamaModel } = require('@mini-llama/model');`);
    writeFileSync(join(project, 'train.cjs'), script);
    const result = JSON.parse(execFileSync('node', ['train.cjs'], { cwd: project, encoding: 'utf8' }));
    expect(result.losses[4]).toBeLessThan(result.losses[0]);
  });

  it('installs the mini-llama command', () => {
    const help = execFileSync(join(project, 'node_modules', '.bin', 'mini-llama'), ['--help'], {
      encoding: 'utf8',
    });
    expect(help).toMatch(/generate/);
    expect(help).toMatch(/convert/);
  });
});
