import { resolve } from 'node:path';
import type { LlamaModel } from '@mini-llama/model';
import { type LoraConfig, LoraConfigError, resolveLoraConfig } from '@mini-llama/peft-lora';
import { mergeAdapterDirectories } from '@mini-llama/peft-lora/node';
import type { LoraSettings } from '@mini-llama/trainer';
import { CliError } from './errors.js';
import type { CliIo } from './io.js';

/** The --lora-* flags of finetune. */
export interface LoraFlags {
  loraRank?: number;
  loraAlpha?: number;
  loraDropout?: number;
  loraTargets?: string[];
}

const FLAG_OF_FIELD: Record<string, string> = {
  r: '--lora-rank',
  alpha: '--lora-alpha',
  dropout: '--lora-dropout',
  targetModules: '--lora-targets',
};

/** LoRA settings from the flags (null without --lora-rank); errors name the flag. */
export function loraSettingsFromFlags(flags: LoraFlags, seed: number): LoraSettings | null {
  if (flags.loraRank === undefined) {
    const stray = (['loraAlpha', 'loraDropout', 'loraTargets'] as const).find(
      (key) => flags[key] !== undefined,
    );
    if (stray) {
      const flag = `--lora-${stray.slice(4).toLowerCase()}`;
      throw new CliError(`${flag} needs --lora-rank R (without it the whole model is fine-tuned)`);
    }
    return null;
  }
  const input: LoraConfig = {
    r: flags.loraRank,
    alpha: flags.loraAlpha,
    dropout: flags.loraDropout,
    targetModules: flags.loraTargets,
    seed,
  };
  try {
    const config = resolveLoraConfig(input);
    const targetModules =
      typeof config.targetModules === 'string' ? config.targetModules : [...config.targetModules];
    return { r: config.r, alpha: config.alpha, dropout: config.dropout, targetModules, seed: config.seed };
  } catch (error) {
    if (!(error instanceof LoraConfigError)) throw error;
    throw new CliError(
      error.message.replace(/^LoraConfig\.(\w+)/, (field, name: string) => FLAG_OF_FIELD[name] ?? field),
    );
  }
}

/** Merges --adapter directories (taken from the working directory) into the model, in order, saying so. */
export async function mergeAdapters(
  model: LlamaModel,
  directories: readonly string[],
  io: CliIo,
): Promise<void> {
  await mergeAdapterDirectories(
    model,
    directories.map((directory) => resolve(io.cwd, directory)),
    (directory, modules) => io.stderr.write(`adapter: merged ${directory} (${modules} modules)\n`),
  );
}
