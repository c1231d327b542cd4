// Prints docs/performance.md's yardstick table from runs/bench-yardsticks/{bench.json,limits.json,bench.log}:
// each row's tokens/s beside PyTorch eager, torch.compile and run.c, and how far it is from the machine's limits.
//
// Limits, per token: training does ~6 FLOPs per weight of every matrix product (forward 2, backward 4) plus
// causal attention (fwd + bwd ≈ 6·layers·T·dim over a sequence of T, half of it masked away: 3·layers·T·dim);
// decoding does 2 FLOPs per weight and, on a CPU, is bound by reading every weight once per token (4 bytes in
// float32) plus the KV cache. "compute bound" = FLOPs per token ÷ the machine's sgemm GFLOP/s (all cores for
// training and OpenMP, one core for one-thread decoding); "memory bound" = bytes per token ÷ copy bandwidth.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(join(process.cwd(), 'packages/bench/package.json'));
const { presetConfig } = await import(require.resolve('@mini-llama/model'));
const { expectedTensorShapes } = await import(require.resolve('@mini-llama/formats'));
const { rowThreads } = await import(require.resolve('@mini-llama/bench/node'));

const R = 'runs/bench-yardsticks';
const rows = JSON.parse(readFileSync(`${R}/bench.json`, 'utf8'));
const limits = JSON.parse(readFileSync(`${R}/limits.json`, 'utf8'));
const machine = readFileSync(`${R}/bench.log`, 'utf8').match(/^machine: (.*)$/m)?.[1] ?? 'unknown';

/** Weights in matrix products, the output head included (an embedding lookup is not a product). */
function productWeights(config) {
  let total = 0;
  for (const [name, shape] of expectedTensorShapes(config)) {
    if (shape.length === 2 && name !== 'model.embed_tokens.weight') total += shape[0] * shape[1];
  }
  if (config.tieEmbeddings) total += config.vocabSize * config.dim; // the tied head is a product too
  return total;
}

const fmt = (value, digits = 1) => (value == null ? '–' : value.toFixed(digits));
console.log(
  `machine: ${machine}; sgemm ${fmt(limits.gflops.all)} GFLOP/s on ${limits.gflops.threads} threads, ${fmt(limits.gflops.one)} on one; copy ${fmt(limits.copy_gbs)} GB/s\n`,
);
console.log(
  '| preset | mode | backend | ours tok/s | PyTorch eager | torch.compile | run.c 1 thread | run.c OpenMP | ours ÷ eager / compile / run.c (equal threads) | compute bound tok/s | memory bound tok/s | ours / bound |',
);
console.log('| --- | --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |');
for (const row of rows) {
  const config = presetConfig(row.preset);
  const weights = productWeights(config);
  const threads = rowThreads(row, limits.gflops.threads);
  let bound;
  let kind;
  if (row.mode === 'generate') {
    const context = (row.newTokens ?? row.tokens) / 2; // the mean position while decoding
    const kvBytes = 2 * config.nLayers * context * config.nKvHeads * config.headDim * 4;
    const memory = (limits.copy_gbs * 1e9) / (4 * weights + kvBytes);
    const gflops = threads === 1 ? limits.gflops.one : limits.gflops.all;
    const compute = (gflops * 1e9) / (2 * weights + 4 * config.nLayers * context * config.dim);
    bound = { compute, memory };
    kind = Math.min(compute, memory);
  } else {
    const attention = 3 * config.nLayers * row.seqLen * config.dim;
    const compute = (limits.gflops.all * 1e9) / (6 * weights + attention);
    bound = { compute, memory: null };
    kind = compute;
  }
  const ratio = (theirs) => (theirs == null ? '–' : `${fmt(row.tokensPerSecond / theirs, 2)}x`);
  const ratios = [row.torchTokensPerSecond, row.torchCompiledTokensPerSecond].map(ratio);
  // run.c at our thread count, from the row's own numbers
  const runC =
    threads === 1 ? row.runC?.single : threads === row.runC?.openmpThreads ? row.runC?.openmp : null;
  ratios.push(ratio(runC));
  const backend = row.threads == null ? row.backend : `${row.backend} ×${row.threads}`;
  const shape =
    row.mode === 'generate'
      ? `generate ${row.newTokens ?? row.tokens}`
      : `${row.mode} ${row.batch} × ${row.seqLen}`;
  console.log(
    `| ${row.preset} | ${shape} | ${backend} | ${fmt(row.tokensPerSecond)} | ${fmt(row.torchTokensPerSecond)} | ${fmt(row.torchCompiledTokensPerSecond)} | ${fmt(row.runC?.single)} | ${row.runC?.openmp == null ? '–' : `${fmt(row.runC.openmp)} ×${row.runC.openmpThreads}`} | ${ratios.join(' / ')} | ${fmt(bound.compute, 0)} | ${fmt(bound.memory, 0)} | ${fmt(row.tokensPerSecond / kind, 2)} |`,
  );
}
