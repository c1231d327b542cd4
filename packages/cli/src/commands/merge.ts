import { copyFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { serializeSafetensors } from '@mini-llama/formats';
import {
  defaultStorageDtype,
  type WeightFormat,
  writeAtomic,
  writeWeightFile,
} from '@mini-llama/formats/node';
import { type LlamaModel, SequenceClassifier, type StorageDtype } from '@mini-llama/model';
import { loadModel } from '@mini-llama/model/node';
import { loadParsedAdapter, savedModuleKey } from '@mini-llama/peft-lora';
import { readAdapter } from '@mini-llama/peft-lora/node';
import type { Command } from 'commander';
import { startBackend } from '../backend.js';
import { CliError } from '../errors.js';
import { modelArgument } from '../hub.js';
import type { CliIo } from '../io.js';
import { collect, oneOf } from '../options.js';
import { exists, formatBytes } from '../paths.js';

const FORMATS = ['hf', 'llama2c', 'llama2c-v1'] as const satisfies readonly WeightFormat[];
const DTYPES = ['f32', 'f16', 'bf16'] as const;

interface MergeFlags {
  model: string;
  adapter: string[];
  out: string;
  to: WeightFormat;
  dtype?: (typeof DTYPES)[number];
}

export function addMergeCommand(program: Command, io: CliIo): void {
  program
    .command('merge')
    .description(
      'Merge LoRA adapters (PEFT format) into a model: W ← W + scale·B·A, written in any format convert writes.',
    )
    .requiredOption(
      '--model <path>',
      'base weights: an HF directory, a .safetensors file, a llama2.c .bin, or hf:ORG/NAME[@REVISION]',
    )
    .requiredOption(
      '--adapter <dir>',
      'adapter directory (adapter_config.json + adapter_model.safetensors); repeat to merge several, in order',
      collect,
    )
    .requiredOption('--out <path>', 'where to write: a directory for --to hf, a .bin file for llama2c')
    .option(
      '--to <format>',
      `output format: ${FORMATS.join(', ')} (default hf)`,
      oneOf('--to', FORMATS),
      'hf',
    )
    .option(
      '--dtype <dtype>',
      `storage dtype: ${DTYPES.join(', ')} (default: the base's for --to hf; llama2.c files are f32 only)`,
      oneOf('--dtype', DTYPES),
    )
    .addHelpText(
      'after',
      `
A classification adapter (task_type SEQ_CLS) also carries the trained head: it goes to classifier.safetensors
(score.weight, [labels, dim]) beside the HF weights, with the adapter's labels.json when it has one, as
\`mini-llama finetune --task\` writes them.`,
    )
    .action((flags: MergeFlags) => runMerge(flags, io));
}

async function runMerge(flags: MergeFlags, io: CliIo): Promise<void> {
  await startBackend('cpu', io); // merging is a few additions: the pure-JS backend is plenty
  const modelPath = await modelArgument(flags.model, io);
  const { model, file } = await loadModel(modelPath);
  let classifier: SequenceClassifier | null = null;
  let labels: string | null = null;
  try {
    for (const directory of flags.adapter) {
      const path = resolve(io.cwd, directory);
      const parsed = await readAdapter(path);
      if (parsed.taskType === 'SEQ_CLS') {
        if (flags.to !== 'hf') {
          throw new CliError(
            `${path} is a classification adapter: its head is written as classifier.safetensors beside HF weights, so use --to hf`,
          );
        }
        const head = parsed.tensors.get(savedModuleKey('score'));
        if (!head) throw new CliError(`${parsed.files.weights}: missing key "${savedModuleKey('score')}"`);
        classifier ??= new SequenceClassifier(model, head.shape[0]!);
        if (await exists(join(path, 'labels.json'))) labels = join(path, 'labels.json');
      }
      const lora = loadParsedAdapter(
        parsed.taskType === 'SEQ_CLS' ? classifier! : (model as LlamaModel),
        parsed,
      );
      const targets = lora.targetModules().length;
      lora.mergeAndUnload();
      io.stdout.write(`merged ${path} (${parsed.taskType}, r=${parsed.config.r}, ${targets} modules)\n`);
    }
    const output = resolve(io.cwd, flags.out);
    const dtype: StorageDtype = flags.dtype
      ? (flags.dtype.toUpperCase() as StorageDtype)
      : defaultStorageDtype(flags.to, file.dtype);
    const written = await writeWeightFile(
      output,
      { config: model.config, stateDict: await model.stateDict() },
      { format: flags.to, dtype },
    );
    if (classifier) {
      const state = await classifier.stateDict();
      const head = join(output, 'classifier.safetensors');
      await writeAtomic(
        head,
        serializeSafetensors(new Map([['score.weight', state.get('score.weight')!]]), { dtype: 'F32' }),
      );
      written.push(head);
      if (labels) {
        await copyFile(labels, join(output, 'labels.json'));
        written.push(join(output, 'labels.json'));
      }
    }
    io.stdout.write(`wrote ${flags.to} (${dtype.toLowerCase()}):\n`);
    for (const path of written) io.stdout.write(`  ${path}  ${formatBytes((await stat(path)).size)}\n`);
  } finally {
    classifier?.dispose();
    model.dispose();
  }
}
