#!/usr/bin/env node
// Puts the validation losses of our run (metrics.jsonl) beside PyTorch's (torch-curve.json), step by step,
// and prints the markdown table of README.md; exits 1 when any gap exceeds the 0.05 the issue allows.
//   node docs/experiments/tinystories-260k/compare.mjs runs/ts/ours/metrics.jsonl runs/ts/torch/torch-curve.json
import { readFileSync } from 'node:fs';

const [oursPath, torchPath] = process.argv.slice(2);
if (!oursPath || !torchPath) {
  console.error('usage: compare.mjs OURS_METRICS_JSONL TORCH_CURVE_JSON');
  process.exit(2);
}
const ours = readFileSync(oursPath, 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line));
const torch = JSON.parse(readFileSync(torchPath, 'utf8')).curve;
const rows = torch
  .filter((entry) => entry.valLoss !== undefined)
  .map((entry) => {
    const mine = ours.find((line) => line.step === entry.step);
    return {
      step: entry.step,
      torch: entry.valLoss,
      ours: mine?.valLoss,
      gap: Math.abs((mine?.valLoss ?? NaN) - entry.valLoss),
    };
  });
console.log('| step | PyTorch val loss | mini-llama val loss | gap |');
console.log('|---:|---:|---:|---:|');
for (const row of rows) {
  console.log(
    `| ${row.step} | ${row.torch.toFixed(4)} | ${row.ours?.toFixed(4) ?? '-'} | ${row.gap.toFixed(4)} |`,
  );
}
const worst = Math.max(...rows.map((row) => row.gap));
console.log(`\nlargest gap ${worst.toFixed(4)} (allowed 0.05)`);
process.exit(worst <= 0.05 ? 0 : 1);
