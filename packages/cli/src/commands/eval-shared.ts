// What the eval, wise-ft and soup commands share: help texts and plain-text tables.

export const MODEL_HELP =
  'weights: an HF directory (config.json + model.safetensors), a .safetensors file or a llama2.c .bin';

/** Rows of cells as aligned plain-text columns (numbers with 4 decimals unless integers). */
export function textTable(
  header: readonly string[],
  rows: readonly (readonly (string | number | null)[])[],
): string {
  const cells = [header, ...rows].map((row) =>
    row.map((cell) =>
      cell === null
        ? ''
        : typeof cell === 'number'
          ? Number.isInteger(cell)
            ? String(cell)
            : cell.toFixed(4)
          : cell,
    ),
  );
  const widths = header.map((_, c) => Math.max(...cells.map((row) => row[c]?.length ?? 0)));
  return cells
    .map((row) =>
      row
        .map((cell, c) => cell.padEnd(widths[c]! + 2))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}
