// The browser's CPU path against PyTorch, in one run: a training step timed in headless Chromium on tfjs's wasm
// backend with threads (the page cross-origin isolated), then the same shape, batch and length on PyTorch 2.x
// eager (packages/bench/python/torch_bench.py, where a Python with torch, transformers and peft is found).
//   pnpm --filter @mini-llama/example-browser-webgpu bench --preset stories15M --batch 8 --seq 256 --threads 2
import { parseArgs } from 'node:util';
import { describeMachine, findTorchPython, formatMachine, measureTorch } from '@mini-llama/bench/node';
import { presetConfig } from '@mini-llama/model';
import { parseBenchQuery } from './src/bench-protocol.js';
import { benchQuery, runBrowserBench } from './src/browser-bench.js';

const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv[0] === '--' ? argv.slice(1) : argv, // `pnpm … bench -- --preset …` passes the '--' on
  options: {
    preset: { type: 'string', default: 'stories15M' },
    modes: { type: 'string', default: 'train' },
    batch: { type: 'string', default: '8' },
    seq: { type: 'string', default: '256' },
    seconds: { type: 'string', default: '30' },
    threads: { type: 'string', default: '2' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    'no-torch': { type: 'boolean', default: false },
  },
});
// the page's own parser checks the values, so the driver and the page agree on what they mean
const request = parseBenchQuery(
  new URLSearchParams({
    preset: values.preset,
    modes: values.modes,
    batch: values.batch,
    seq: values.seq,
    seconds: values.seconds,
    threads: values.threads,
  }).toString(),
);
console.error(`bench.html${benchQuery(request)} in ${values.chromium}`);
const state = await runBrowserBench({
  request,
  executablePath: values.chromium,
  onStatus: (text) => console.error(`  page: ${text}`),
});
const python = values['no-torch'] ? null : await findTorchPython(process.env, process.cwd());
const rows = [];
for (const row of state.rows) {
  let torch: number | null = null;
  let torchNote = 'not run (--no-torch)';
  if (python && python.python === null) torchNote = python.reason;
  if (python?.python) {
    console.error(`  PyTorch: ${row.preset} ${row.mode}…`);
    const result = await measureTorch(python.python, {
      config: presetConfig(request.preset),
      mode: row.mode,
      batch: row.batch,
      seqLen: row.seqLen,
      seconds: request.seconds,
      newTokens: row.newTokens ?? row.tokens,
    });
    torch = result.tokensPerSecond;
    torchNote = `PyTorch ${result.torchVersion} eager, ${result.threads} threads`;
  }
  rows.push({
    preset: row.preset,
    mode: row.mode,
    shape: row.mode === 'generate' ? `${row.newTokens ?? row.tokens} tokens` : `${row.batch} × ${row.seqLen}`,
    'browser wasm tok/s': Number(row.tokensPerSecond.toFixed(1)),
    threads: row.threads,
    'PyTorch tok/s': torch === null ? null : Number(torch.toFixed(1)),
    ratio: torch === null ? null : Number((row.tokensPerSecond / torch).toFixed(3)),
    yardstick: torchNote,
  });
}
console.table(rows);
console.log(
  `Chromium: ${state.userAgent}\ncross-origin isolated: ${state.crossOriginIsolated}; wasm threads: ${state.threads}`,
);
console.log(formatMachine(await describeMachine()));
