import type { BenchRow } from '@mini-llama/bench';
import { formatBytes } from '../paths.js';

/** The rows as an aligned text table, ours beside PyTorch's. */
export function formatTable(rows: readonly BenchRow[]): string {
  const header = [
    'preset',
    'mode',
    'backend',
    'shape',
    'ours tokens/s',
    'torch tokens/s',
    'ratio',
    'peak RSS',
    'torch RSS',
    'torch.compile',
    'run.c 1 thread',
    'run.c OpenMP',
    'vs run.c',
    'tensors',
  ];
  const body = rows.map((row) => [
    row.preset,
    row.mode,
    row.threads === null ? row.backend : `${row.backend} ×${row.threads}`,
    row.mode === 'generate' ? `${row.newTokens ?? row.tokens} new` : `${row.batch} × ${row.seqLen}`,
    row.tokensPerSecond.toFixed(1),
    row.torchTokensPerSecond === null ? '-' : row.torchTokensPerSecond.toFixed(1),
    row.ratio === null ? '-' : `${row.ratio.toFixed(3)}x`,
    formatBytes(row.peakRssBytes),
    row.torchPeakRssBytes === null ? '-' : formatBytes(row.torchPeakRssBytes),
    row.torchCompiledTokensPerSecond == null ? '-' : row.torchCompiledTokensPerSecond.toFixed(1),
    row.runC?.single == null ? '-' : row.runC.single.toFixed(1),
    row.runC?.openmp == null ? '-' : `${row.runC.openmp.toFixed(1)} ×${row.runC.openmpThreads}`,
    row.runC?.ratio == null ? '-' : `${row.runC.ratio.toFixed(3)}x`,
    `${row.tensorsBefore} → ${row.tensorsAfter}`,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...body.map((cells) => cells[column]!.length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column < 4 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...body.map(line)].join('\n')}\n(backend ×N: wasm on N threads; shape: batch × tokens per sequence)\n`;
}
