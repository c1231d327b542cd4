#!/usr/bin/env node
// A real-size check: a checkpoint of a real model's shape (random weights, transformers' bf16 files) loads with
// a bounded peak RSS, generates, and LoRA-fine-tunes a few steps, on the tensorflow backend by default.
//
//   node scripts/real-size.mjs [--preset TinyLlama-1.1B] [--checkpoint DIR] [--backend tensorflow] [--tokens 16]
//                              [--batch 1] [--seq 128] [--seconds 30] [--limit 1.5]
//
// (Not --dir: node-pre-gyp, which loads tfjs-node's addon, reads process.argv and takes --dir for its own.)
// Needs the packages built (pnpm build) and, to make the checkpoint the first time, a Python with torch and
// transformers (MINI_LLAMA_PYTHON, the repository's .venv-peft, or python3). Prints one JSON object; exits 1
// when the peak RSS while loading exceeds --limit × the model's float32 size.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { useBackend } from '@mini-llama/backends';
import { hfJsonFromConfig } from '@mini-llama/formats';
import { generate, parameterCount, presetConfig } from '@mini-llama/model';
import { loadModel } from '@mini-llama/model/node';
import { measureShape } from '../dist/index.js';
import { findTorchPython, PeakRss } from '../dist/node/index.js';

const { values: flags } = parseArgs({
  options: {
    preset: { type: 'string', default: 'TinyLlama-1.1B' },
    checkpoint: { type: 'string' },
    backend: { type: 'string', default: 'tensorflow' },
    tokens: { type: 'string', default: '16' },
    batch: { type: 'string', default: '1' },
    seq: { type: 'string', default: '128' },
    seconds: { type: 'string', default: '30' },
    limit: { type: 'string', default: '1.5' },
  },
});
const config = presetConfig(flags.preset);
const directory = flags.checkpoint ?? join(tmpdir(), 'mini-llama-real-size', flags.preset);
const gib = (bytes) => Number((bytes / 1024 ** 3).toFixed(2));

if (!existsSync(join(directory, 'config.json'))) {
  const found = await findTorchPython(process.env, process.cwd());
  if (!found.python) throw new Error(`cannot make ${directory}: ${found.reason}`);
  mkdirSync(directory, { recursive: true });
  const configFile = join(tmpdir(), `mini-llama-${flags.preset}-config.json`);
  writeFileSync(configFile, JSON.stringify(hfJsonFromConfig(config, 'BF16')));
  const script = new URL('../python/random_checkpoint.py', import.meta.url).pathname;
  execFileSync(found.python, [script, configFile, directory], { stdio: 'inherit' });
}

const backend = await useBackend(flags.backend);
const memory = new PeakRss();
const baseline = memory.take();
const started = performance.now();
const { model, file } = await loadModel(directory);
const loadSeconds = (performance.now() - started) / 1000;
const loadPeak = memory.take();
const f32Bytes = parameterCount(config) * 4;

const newTokens = Number(flags.tokens);
const settings = { maxNewTokens: newTokens, temperature: 0 };
await generate(model, [[1]], { ...settings, maxNewTokens: 2 }); // warm-up
const generated = await generate(model, [[1]], { ...settings, onToken: () => memory.sample() });
const generatePeak = memory.take();

const [lora] = await measureShape({
  name: flags.preset,
  config,
  model,
  modes: ['lora'],
  batch: Number(flags.batch),
  seqLen: Number(flags.seq),
  seconds: Number(flags.seconds),
  backend: { name: backend.name, threads: null },
  memory,
  onMessage: (line) => process.stderr.write(`${line}\n`),
});
memory.stop();
model.dispose();

const result = {
  preset: flags.preset,
  backend: backend.name,
  parameters: parameterCount(config),
  checkpoint: { dtype: file.dtype, files: file.files.length },
  float32GiB: gib(f32Bytes),
  rssBeforeLoadGiB: gib(baseline),
  load: {
    seconds: Number(loadSeconds.toFixed(1)),
    peakRssGiB: gib(loadPeak),
    peakOverFloat32: Number((loadPeak / f32Bytes).toFixed(3)),
  },
  generate: {
    tokens: generated.tokens[0].length,
    tokensPerSecond: Number((generated.tokens[0].length / (generated.decodeMs / 1000)).toFixed(2)),
    peakRssGiB: gib(generatePeak),
  },
  lora: {
    batch: lora.batch,
    seqLen: lora.seqLen,
    steps: lora.tokens / (lora.batch * lora.seqLen),
    tokensPerSecond: Number(lora.tokensPerSecond.toFixed(1)),
    secondsPerStep: Number(((lora.batch * lora.seqLen) / lora.tokensPerSecond).toFixed(2)),
    peakRssGiB: gib(lora.peakRssBytes),
  },
};
console.log(JSON.stringify(result, null, 2));
if (loadPeak > Number(flags.limit) * f32Bytes) {
  console.error(
    `peak RSS while loading ${gib(loadPeak)} GiB is over ${flags.limit} × the float32 size (${gib(f32Bytes)} GiB)`,
  );
  process.exit(1);
}
