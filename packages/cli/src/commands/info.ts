import { stat } from 'node:fs/promises';
import { readWeightFile } from '@mini-llama/formats/node';
import { parameterCount } from '@mini-llama/model';
import type { Command } from 'commander';
import { modelArgument } from '../hub.js';
import type { CliIo } from '../io.js';
import { formatBytes } from '../paths.js';

interface InfoFlags {
  json?: boolean;
}

export function addInfoCommand(program: Command, io: CliIo): void {
  program
    .command('info')
    .description("Describe a weight file: format, dtype, the model's config, parameter count and file sizes.")
    .argument('<path>', 'an HF directory, a .safetensors file or a llama2.c .bin')
    .option('--json', 'print one JSON object')
    .action((path: string, flags: InfoFlags) => runInfo(path, flags, io));
}

async function runInfo(path: string, flags: InfoFlags, io: CliIo): Promise<void> {
  const { config, format, dtype, files } = await readWeightFile(await modelArgument(path, io, 'info'));
  const sizes = await Promise.all(
    files.map(async (file) => ({ path: file, bytes: (await stat(file)).size })),
  );
  const parameters = parameterCount(config);
  if (flags.json) {
    io.stdout.write(
      `${JSON.stringify({ format, dtype: dtype.toLowerCase(), config, parameters, files: sizes })}\n`,
    );
    return;
  }
  const lines = [
    `format      ${format}`,
    `dtype       ${dtype.toLowerCase()}`,
    `parameters  ${parameters.toLocaleString('en-US')} (${formatCount(parameters)})`,
    'config',
    ...Object.entries(config).map(
      ([key, value]) =>
        `  ${key.padEnd(20)}${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`,
    ),
    'files',
    ...sizes.map(({ path: file, bytes }) => `  ${file}  ${formatBytes(bytes)}`),
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
}

/** 6736 → "6.7K", 15191712 → "15.2M" */
function formatCount(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(1)}B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(1)}M`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(1)}K`;
  return String(count);
}
