import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  defaultStorageDtype,
  readWeightFile,
  type WeightFormat,
  writeWeightFile,
} from '@mini-llama/formats/node';
import type { StorageDtype } from '@mini-llama/model';
import type { Command } from 'commander';
import { modelArgument } from '../hub.js';
import type { CliIo } from '../io.js';
import { oneOf } from '../options.js';
import { formatBytes } from '../paths.js';

const FORMATS = ['hf', 'llama2c', 'llama2c-v1'] as const satisfies readonly WeightFormat[];
const DTYPES = ['f32', 'f16', 'bf16'] as const;

interface ConvertFlags {
  to: WeightFormat;
  dtype?: (typeof DTYPES)[number];
}

export function addConvertCommand(program: Command, io: CliIo): void {
  program
    .command('convert')
    .description('Convert weights between HF safetensors and llama2.c .bin files.')
    .argument('<in>', 'weights to read: an HF directory, a .safetensors file or a llama2.c .bin (v0 or v1)')
    .argument('<out>', 'where to write: a directory for --to hf, a .bin file for llama2c')
    .requiredOption('--to <format>', `output format: ${FORMATS.join(', ')}`, oneOf('--to', FORMATS))
    .option(
      '--dtype <dtype>',
      `storage dtype: ${DTYPES.join(', ')} (default: the input's for --to hf; llama2.c files are f32 only)`,
      oneOf('--dtype', DTYPES),
    )
    .action((input: string, output: string, flags: ConvertFlags) => runConvert(input, output, flags, io));
}

async function runConvert(input: string, output: string, flags: ConvertFlags, io: CliIo): Promise<void> {
  const file = await readWeightFile(await modelArgument(input, io, 'convert'));
  const dtype: StorageDtype = flags.dtype
    ? (flags.dtype.toUpperCase() as StorageDtype)
    : defaultStorageDtype(flags.to, file.dtype);
  const written = await writeWeightFile(
    resolve(io.cwd, output),
    { config: file.config, stateDict: file.stateDict },
    { format: flags.to, dtype },
  );
  io.stdout.write(`read ${file.format} (${file.dtype.toLowerCase()}) from ${file.files.join(', ')}\n`);
  io.stdout.write(`wrote ${flags.to} (${dtype.toLowerCase()}):\n`);
  for (const path of written) io.stdout.write(`  ${path}  ${formatBytes((await stat(path)).size)}\n`);
}
