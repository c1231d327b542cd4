// What the eval subcommands share: help texts and finding the tokenizer of a model.

import type { Tokenizer } from '@mini-llama/tokenizer';
import { loadTokenizer } from '@mini-llama/tokenizer/node';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { findTokenizerFor, openTokenizer, TOKENIZER_FILES } from '../tokenizer-files.js';

export const MODEL_HELP =
  'weights: an HF directory (config.json + model.safetensors), a .safetensors file or a llama2.c .bin';

export const TOKENIZER_HELP = `tokenizer file, or bytes / llama2 (default: ${TOKENIZER_FILES.join(', ')} in or next to the model)`;

/**
 * --tokenizer, or the tokenizer file in or beside the model. When none is found: null, or an error naming
 * `required` (why one is needed) when it is not null.
 */
export async function evalTokenizer(
  flag: string | undefined,
  modelPath: string,
  io: CliIo,
  { required }: { required: string | null },
): Promise<{ tokenizer: Tokenizer; name: string } | null> {
  if (flag) return { tokenizer: (await openTokenizer(flag, io.cwd)).tokenizer, name: flag };
  const found = await findTokenizerFor(modelPath);
  if (found) return { tokenizer: await loadTokenizer(found), name: found };
  if (required === null) return null;
  throw new CliError(
    `${required}, and no tokenizer was found next to ${modelPath} (looked for ${TOKENIZER_FILES.join(', ')}): pass --tokenizer PATH, bytes or llama2`,
  );
}

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
