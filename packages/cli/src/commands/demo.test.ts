import { join } from 'node:path';
import { useBackend } from '@mini-llama/backends';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { cli, temporaryDirectory } from '../testing.js';

describe('mini-llama demo', () => {
  it('--quick trains, continues three prompts, saves the model and frees every tensor', async () => {
    const out = join(await temporaryDirectory(), 'demo-model');
    await useBackend('auto'); // the backend the demo will pick, so the tensor count is read on it
    const before = tf.memory().numTensors;
    const run = await cli('demo', '--quick', '--seconds', '2', '--out', out);
    expect(run.stderr).not.toMatch(/^mini-llama demo:/m);
    expect(run.code).toBe(0);
    expect(tf.memory().numTensors).toBe(before);

    expect(run.stderr).toMatch(/demo: micro model, 33,024 parameters, [\d,]+ tokens of the Brown corpus/);
    const steps = [...run.stderr.matchAll(/^step (\d+) {2}loss ([\d.]+) {2}[\d,]+ tokens\/s/gm)];
    expect(steps.length).toBeGreaterThan(0); // plain progress lines: the captured stderr is no TTY
    const [, lastStep, lastLoss] = steps.at(-1)!;
    expect(Number(lastLoss)).toBeLessThan(Math.log(259)); // below a uniform guess over the byte vocabulary
    expect(run.stdout).toContain(`After ${lastStep} steps`);
    const continuations = run.stdout.split('\n').filter((line) => line.startsWith('> '));
    expect(continuations.map((line) => line.slice(2, 8))).toEqual(['The ju', 'In the', 'It was']);

    expect(run.stdout).toContain(`saved the model: ${join(out, 'config.json')}`);
    const info = JSON.parse((await cli('info', out, '--json')).stdout) as { config: { vocabSize: number } };
    expect(info.config.vocabSize).toBe(259); // ByteTokenizer: <unk> <s> </s> and 256 bytes
  });

  it('rejects an unknown preset', async () => {
    const run = await cli('demo', '--preset', 'huge');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^mini-llama demo: --preset must be one of tiny, micro, stories260K, .*, got 'huge'\n$/,
    );
  });
});
