import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
/** Every package under packages/ that is published (not private): name → directory. */
const published = readdirSync(join(root, 'packages'))
  .map((directory) => ({
    directory,
    manifest: JSON.parse(readFileSync(join(root, 'packages', directory, 'package.json'), 'utf8')),
  }))
  .filter(({ manifest }) => !manifest.private)
  .map(({ directory, manifest }) => ({
    directory,
    name: manifest.name as string,
    version: manifest.version as string,
  }));
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
    const local: Record<string, string> = {};
    for (const { directory, name, version } of published) {
      execFileSync('pnpm', ['pack', '--pack-destination', tarballs], {
        cwd: join(root, 'packages', directory),
        stdio: 'pipe',
      });
      // pnpm names a tarball after the package: @scope/name 1.0.0 → scope-name-1.0.0.tgz
      local[name] = `file:${join(tarballs, `${name.replace('@', '').replace('/', '-')}-${version}.tgz`)}`;
    }
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

  // A byte tokenizer, a window loader over its tokens, the trainer with AdamW: the packages working together.
  const trainScript = (load: string) => `${load}
async function main() {
  await useBackend('cpu');
  const tokenizer = new ByteTokenizer();
  const tokens = Int32Array.from(tokenizer.encode('the cat sat on the mat. '.repeat(20), { bos: true }));
  const loader = new WindowLoader(new InMemoryTokenSource(tokens), { batchSize: 4, seqLen: 8 });
  const model = new LlamaModel({ dim: 16, nLayers: 1, nHeads: 2, vocabSize: tokenizer.vocabSize, maxSeqLen: 8, multipleOf: 4 }, { seed: 1 });
  const logits = model.forward(tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32'));
  const trainer = new Trainer(model, { steps: 12, batchSize: 4, optimizer: {}, schedule: { name: 'constant', learningRate: 1e-2 } });
  const losses = [];
  for (let step = 0; step < 12; step++) losses.push((await trainer.trainStep(loader)).loss);
  console.log(JSON.stringify({ shape: logits.shape, losses }));
}
main();
`;

  it('runs a forward pass and training steps from ESM', () => {
    const script = trainScript(`import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@mini-llama/backends';
import { InMemoryTokenSource, WindowLoader } from '@mini-llama/data';
import { LlamaModel } from '@mini-llama/model';
import { ByteTokenizer } from '@mini-llama/tokenizer';
import { Trainer } from '@mini-llama/trainer';`);
    writeFileSync(join(project, 'train.mjs'), script);
    const result = JSON.parse(execFileSync('node', ['train.mjs'], { cwd: project, encoding: 'utf8' }));
    expect(result.shape).toEqual([1, 4, 259]);
    expect(result.losses[11]).toBeLessThan(result.losses[0]);
  });

  it('runs the same from CommonJS', () => {
    const script = trainScript(`const tf = require('@tensorflow/tfjs-core');
const { useBackend } = require('@mini-llama/backends');
const { InMemoryTokenSource, WindowLoader } = require('@mini-llama/data');
const { LlamaModel } = require('@mini-llama/model');
const { ByteTokenizer } = require('@mini-llama/tokenizer');
const { Trainer } = require('@mini-llama/trainer');`);
    writeFileSync(join(project, 'train.cjs'), script);
    const result = JSON.parse(execFileSync('node', ['train.cjs'], { cwd: project, encoding: 'utf8' }));
    expect(result.losses[11]).toBeLessThan(result.losses[0]);
  });

  // Perplexity, metrics and an HTML report: the eval package's three entries, vega loaded by dynamic import.
  const evalScript = (load: string) => `${load}
async function main() {
  await useBackend('cpu');
  const model = new LlamaModel({ dim: 16, nLayers: 1, nHeads: 2, vocabSize: 259, maxSeqLen: 16, multipleOf: 4 }, { seed: 1 });
  const result = await textPerplexity(model, new ByteTokenizer(), 'the cat sat on the mat. '.repeat(3), { stride: 8 });
  const metrics = classificationMetrics([0, 1, 1], [0, 1, 0], ['a', 'b']);
  const html = await renderReport({ title: 'packed', sections: [confusionMatrixSection(metrics)] });
  console.log(JSON.stringify({ tokens: result.tokens, perplexity: result.perplexity, accuracy: metrics.accuracy, svg: html.includes('<svg') }));
}
main();
`;

  it('evaluates a model and renders a report from ESM and from CommonJS', () => {
    const esm = evalScript(`import { useBackend } from '@mini-llama/backends';
import { classificationMetrics, textPerplexity } from '@mini-llama/eval';
import { confusionMatrixSection, renderReport } from '@mini-llama/eval/report';
import { LlamaModel } from '@mini-llama/model';
import { ByteTokenizer } from '@mini-llama/tokenizer';`);
    const cjs = evalScript(`const { useBackend } = require('@mini-llama/backends');
const { classificationMetrics, textPerplexity } = require('@mini-llama/eval');
const { confusionMatrixSection, renderReport } = require('@mini-llama/eval/report');
const { LlamaModel } = require('@mini-llama/model');
const { ByteTokenizer } = require('@mini-llama/tokenizer');`);
    for (const [file, script] of [
      ['eval.mjs', esm],
      ['eval.cjs', cjs],
    ] as const) {
      writeFileSync(join(project, file), script);
      const result = JSON.parse(execFileSync('node', [file], { cwd: project, encoding: 'utf8' }));
      expect(result.tokens).toBe(72);
      expect(result.perplexity).toBeGreaterThan(1);
      expect(result.accuracy).toBeCloseTo(2 / 3, 12);
      expect(result.svg).toBe(true);
    }
  });

  it('installs the mini-llama command', () => {
    const help = execFileSync(join(project, 'node_modules', '.bin', 'mini-llama'), ['--help'], {
      encoding: 'utf8',
    });
    expect(help).toMatch(/generate/);
    expect(help).toMatch(/convert/);
  });
});
