// Beyond one machine (docs/scaling.md): a model pretrained here continues training under torchrun with
// PyTorch's DistributedDataParallel (scripts/torchrun/train_ddp.py: 2 processes, gloo on CPU), on mini-llama's
// shards; what it writes loads back here with the validation perplexity PyTorch measured, and trains on.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findPython, pythonSkipReason } from '@mini-llama/test-utils';
import { describe, expect, it } from 'vitest';
import { cli, temporaryDirectory } from '../test/cli-harness.js';

const run = promisify(execFile);
const MODULES = ['torch', 'transformers', 'numpy'];
const SKIP = pythonSkipReason(MODULES);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = join(ROOT, 'scripts', 'torchrun', 'train_ddp.py');

describe.skipIf(SKIP)(`torchrun DDP on a mini-llama model${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  it('continues training in 2 processes; the result loads here with the perplexity PyTorch measured', async () => {
    const directory = await temporaryDirectory();
    const shards = join(directory, 'shards');
    const docs = ['README.md', 'docs/training.md', 'docs/architecture.md'].map((file) => join(ROOT, file));
    const prepare = await cli(
      ...['data', 'prepare', '--tokenizer', 'bytes', '--input', ...docs],
      ...['--val-input', join(ROOT, 'docs', 'performance.md'), '--out', shards],
    );
    expect(prepare.code, prepare.stderr).toBe(0);
    const base = join(directory, 'base');
    const pretrain = await cli(
      ...['pretrain', '--dim', '32', '--layers', '2', '--heads', '4', '--kv-heads', '2', '--seq-len', '32'],
      ...['--tokenizer', 'bytes', '--data', shards, '--steps', '4', '--batch-size', '4', '--out', base],
    );
    expect(pretrain.code, pretrain.stderr).toBe(0);

    const out = join(directory, 'ddp');
    const python = findPython(MODULES)!;
    const trained = await run(
      python,
      [
        ...['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', SCRIPT],
        ...['--model', join(base, 'model'), '--data', shards, '--out', out],
        ...['--steps', '6', '--batch', '4', '--seq', '32', '--lr', '3e-3'],
      ],
      { maxBuffer: 1 << 24 },
    );
    expect(trained.stdout).toContain('step 6/6');
    expect(trained.stdout).toContain('(2 processes)');
    const result = JSON.parse(await readFile(join(out, 'ddp-result.json'), 'utf8'));
    expect(result.world_size).toBe(2);

    const evaluated = await cli(
      ...['eval', 'perplexity', '--model', out, '--data', shards, '--split', 'val'],
      ...['--window', '32', '--stride', '32', '--json'],
    );
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const ours = JSON.parse(evaluated.stdout);
    expect(ours.tokens).toBe(result.val_tokens);
    expect(Math.abs(ours.nll - result.val_nll)).toBeLessThan(1e-5);

    // and the run goes on here, from what PyTorch wrote
    const more = await cli(
      ...['pretrain', '--init', out, '--tokenizer', 'bytes', '--data', shards, '--seq-len', '32'],
      ...['--steps', '2', '--batch-size', '4', '--out', join(directory, 'more')],
    );
    expect(more.code, more.stderr).toBe(0);
    expect(more.stdout).toContain('finished at step 2');
    // from the trained weights, not from scratch: an untrained model's loss is ln 259 (uniform over the bytes)
    const first = JSON.parse(
      (await readFile(join(directory, 'more', 'metrics.jsonl'), 'utf8')).split('\n')[0]!,
    );
    console.info(
      `torchrun: val NLL ${result.val_nll.toFixed(4)} (PyTorch) = ${ours.nll.toFixed(4)} (here); next step's loss ${first.loss.toFixed(3)}`,
    );
    expect(first.loss).toBeLessThan(Math.log(259) - 0.5);
  }, 600_000);
});
