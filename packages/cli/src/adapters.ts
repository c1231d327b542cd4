import { resolve } from 'node:path';
import type { LlamaModel } from '@mini-llama/model';
import { type LoraConfig, LoraConfigError, resolveLoraConfig } from '@mini-llama/peft-lora';
import { loadAdapter } from '@mini-llama/peft-lora/node';
import { CliError } from './errors.js';
import type { CliIo } from './io.js';

export const ADAPTER_HELP =
  'LoRA adapter directory in PEFT format (adapter_config.json + adapter_model.safetensors), merged into the weights; repeat to stack several, in order';

/**
 * Merges each adapter directory into the model, in order (W ← W + scale·B·A for each): the result computes
 * what the model with all of them stacked computes, at the base model's speed. Later adapters' modules to
 * save (an untied lm_head) replace earlier ones'.
 */
export async function mergeAdapters(
  model: LlamaModel,
  directories: readonly string[],
  io: CliIo,
): Promise<void> {
  for (const directory of directories) {
    const path = resolve(io.cwd, directory);
    const lora = await loadAdapter(model, path);
    const targets = lora.targetModules().length;
    lora.mergeAndUnload();
    io.stderr.write(`adapter: merged ${path} (${targets} modules)\n`);
  }
}

/** The --lora-* flags of finetune. */
export interface LoraFlags {
  loraRank?: number;
  loraAlpha?: number;
  loraDropout?: number;
  loraTargets?: string[];
}

/** The LoRA settings a finetune run records in run-config.json (and a resumed run reads back). */
export interface LoraRunSettings {
  r: number;
  alpha: number;
  dropout: number;
  targetModules: string[] | string;
  seed: number;
}

const FLAG_OF_FIELD: Record<string, string> = {
  r: '--lora-rank',
  alpha: '--lora-alpha',
  dropout: '--lora-dropout',
  targetModules: '--lora-targets',
};

/** LoRA settings from the flags (null without --lora-rank); errors name the flag. */
export function loraSettingsFromFlags(flags: LoraFlags, seed: number): LoraRunSettings | null {
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
