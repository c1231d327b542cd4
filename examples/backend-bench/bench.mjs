#!/usr/bin/env node
// The same training and generation benchmark (`mini-llama bench`) on every tfjs backend this machine has,
// in one table: tensorflow (tfjs-node / tfjs-node-gpu, when installed), webgpu (Dawn, when a GPU adapter
// exists), wasm, and cpu when asked for. A backend that cannot start here is listed with the reason. PyTorch is measured once,
// in the first run, and every row's ratio is taken against it.
//
//   pnpm --filter @mini-llama/example-backend-bench bench [--presets stories260K,stories15M] [--seconds 10]
//       [--batch 8] [--modes train,generate] [--backends tensorflow,webgpu,wasm[,cpu]] [--no-torch] [--json]
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const USAGE = `usage: node bench.mjs [--presets stories260K,stories15M] [--seconds 10] [--batch 8]
  [--modes train,generate] [--backends tensorflow,webgpu,wasm[,cpu]] [--no-torch] [--json] [--check]`;

let parsed;
try {
  parsed = parseArgs({ options: benchOptions() });
} catch (error) {
  console.error(`backend-bench: ${error.message}\n${USAGE}`);
  process.exit(2);
}
const { values: flags } = parsed;

function benchOptions() {
  return {
    presets: { type: 'string', default: 'stories260K,stories15M' },
    seconds: { type: 'string', default: '10' },
    batch: { type: 'string', default: '8' },
    modes: { type: 'string', default: 'train,generate' },
    // cpu (pure JavaScript) takes minutes per stories15M step: measured only when asked for.
    backends: { type: 'string', default: 'tensorflow,webgpu,wasm' },
    'no-torch': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    check: { type: 'boolean', default: false }, // exit 1 unless wasm and cpu both produced rows (the test)
  };
}

const cli = join(
  dirname(createRequire(import.meta.url).resolve('mini-llama/package.json')),
  'dist',
  'bin.js',
);

/** Runs `mini-llama bench` on one backend; resolves to its rows, or to the reason it could not run. */
function benchOn(backend, withTorch) {
  const args = [cli, 'bench', '--backends', backend, '--presets', flags.presets, '--seconds', flags.seconds];
  args.push('--batch', flags.batch, '--modes', flags.modes, '--json', withTorch ? '--torch' : '--no-torch');
  return new Promise((resolve) => {
    execFile(process.execPath, args, { maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      if (!error) return resolve({ backend, rows: JSON.parse(stdout) });
      const reason = stderr
        .trim()
        .split('\n')
        .filter((line) => line.startsWith('mini-llama bench:'))
        .at(-1);
      resolve({ backend, reason: reason?.replace(/^mini-llama bench: /, '') ?? error.message });
    });
  });
}

const rows = [];
const unavailable = [];
let torch = null; // preset/mode → PyTorch tokens/s, from the first run that measured it
for (const backend of flags.backends.split(',')) {
  process.stderr.write(`${backend}: measuring…\n`);
  const result = await benchOn(backend, !flags['no-torch'] && torch === null);
  if (result.reason) {
    unavailable.push({ backend, reason: result.reason });
    process.stderr.write(`${backend}: not measured: ${result.reason}\n`);
    continue;
  }
  if (torch === null && result.rows.some((row) => row.torchTokensPerSecond !== null)) {
    torch = new Map(result.rows.map((row) => [`${row.preset}/${row.mode}`, row.torchTokensPerSecond]));
  }
  for (const row of result.rows) {
    const yardstick = torch?.get(`${row.preset}/${row.mode}`) ?? null;
    rows.push({
      ...row,
      torchTokensPerSecond: yardstick,
      ratio: yardstick ? row.tokensPerSecond / yardstick : null,
    });
  }
}

if (flags.json) {
  console.log(JSON.stringify({ rows, unavailable }));
} else {
  const header = ['preset', 'mode', 'backend', 'tokens/s', 'torch tokens/s', 'ratio', 'tensors'];
  const body = rows.map((row) => [
    row.preset,
    row.mode,
    row.threads ? `${row.backend} ×${row.threads}` : row.backend,
    row.tokensPerSecond.toFixed(1),
    row.torchTokensPerSecond?.toFixed(1) ?? '-',
    row.ratio === null ? '-' : `${row.ratio.toFixed(3)}x`,
    `${row.tensorsBefore} → ${row.tensorsAfter}`,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...body.map((cells) => cells[i].length)));
  const line = (cells) =>
    cells.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log([line(header), ...body.map(line)].join('\n'));
  for (const { backend, reason } of unavailable) console.log(`${backend}: not measured (${reason})`);
}
if (flags.check) {
  const measured = new Set(rows.map((row) => row.backend));
  const leaks = rows.filter((row) => row.tensorsAfter !== row.tensorsBefore);
  if (!measured.has('wasm') || !measured.has('cpu') || leaks.length > 0) {
    console.error('backend-bench check failed: wasm and cpu must both be measured, with no leaked tensors');
    process.exit(1);
  }
}
