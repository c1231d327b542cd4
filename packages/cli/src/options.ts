import { BACKEND_REQUESTS, type BackendRequest } from '@mini-llama/backends';
import { TOKENIZER_FILES } from '@mini-llama/tokenizer/node';
import type { Command } from 'commander';
import { CliError } from './errors.js';

// Parsers for flag values. Each error names the flag and quotes what was given, so a typo is found at once:
// "--max-new-tokens must be a positive integer, got 'abc'".

/**
 * A whole number written in decimal digits, else NaN: `Number` alone would also take `1e2`, `0x10`, `0b1`
 * and `1.0`, which a token id or a count written that way almost certainly is not meant to be.
 */
export function decimalInteger(text: string): number {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}

export function positiveInteger(flag: string): (value: string) => number {
  return (value) => {
    const number = decimalInteger(value);
    if (!Number.isSafeInteger(number) || number <= 0) {
      throw new CliError(`${flag} must be a positive integer, got '${value}'`);
    }
    return number;
  };
}

export function nonNegativeInteger(flag: string): (value: string) => number {
  return (value) => {
    const number = decimalInteger(value);
    if (!Number.isSafeInteger(number)) {
      throw new CliError(`${flag} must be an integer ≥ 0, got '${value}'`);
    }
    return number;
  };
}

export function nonNegativeNumber(flag: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number) || number < 0) {
      throw new CliError(`${flag} must be a number ≥ 0, got '${value}'`);
    }
    return number;
  };
}

export function positiveNumber(flag: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number) || number <= 0) {
      throw new CliError(`${flag} must be a positive number, got '${value}'`);
    }
    return number;
  };
}

/** Top-p: a probability mass in (0, 1]. */
export function probability(flag: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === '' || !(number > 0 && number <= 1)) {
      throw new CliError(`${flag} must be a number in (0, 1], got '${value}'`);
    }
    return number;
  };
}

/** "1,2,3" → [1, 2, 3]: non-empty, integers ≥ 0 (the model checks the vocabulary bound). */
export function tokenList(flag: string): (value: string) => number[] {
  return (value) => {
    const ids = value.split(',').map(decimalInteger);
    if (!ids.every(Number.isSafeInteger)) {
      throw new CliError(`${flag} must be comma-separated token ids (integers ≥ 0), got '${value}'`);
    }
    return ids;
  };
}

/** "a,b" → ['a', 'b'], without empty entries. */
export function nameList(flag: string): (value: string) => string[] {
  return (value) => {
    const names = value
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    if (names.length === 0) throw new CliError(`${flag} must name at least one entry, got '${value}'`);
    return names;
  };
}

export function oneOf<T extends string>(flag: string, choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new CliError(`${flag} must be one of ${choices.join(', ')}, got '${value}'`);
    }
    return value as T;
  };
}

export const backendRequest = oneOf<BackendRequest>('--backend', BACKEND_REQUESTS);

/** --threads: wasm's XNNPACK pool size, 1 to 8 (tfjs pre-creates 8 workers). */
export function wasmThreads(value: string): number {
  const number = decimalInteger(value);
  if (!(number >= 1 && number <= 8)) {
    throw new CliError(`--threads must be an integer from 1 to 8, got '${value}'`);
  }
  return number;
}

export const THREADS_HELP = 'threads for the wasm backend in Node, 1 to 8 (default: one per core)';

export const BACKEND_HELP = `tfjs backend: ${BACKEND_REQUESTS.join(', ')} (auto picks the fastest that starts)`;

/** A probability that may be 0 but not 1 (dropout): [0, 1). */
export function dropoutProbability(flag: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === '' || !(number >= 0 && number < 1)) {
      throw new CliError(`${flag} must be a number in [0, 1), got '${value}'`);
    }
    return number;
  };
}

/** A repeatable flag's values, in the order given: `--adapter a --adapter b` → ['a', 'b']. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

// Option blocks several commands share, declared once.

/** --backend NAME (default auto). */
export function backendOption(command: Command): Command {
  return command.option('--backend <name>', BACKEND_HELP, backendRequest, 'auto');
}

/** --tokenizer PATH|bytes|llama2 (default: the one in or beside the model). */
export function tokenizerOption(command: Command): Command {
  return command.option('--tokenizer <path>', TOKENIZER_HELP);
}

/** --adapter DIR, repeatable: LoRA adapters merged into the weights, in order. */
export function adapterOption(command: Command): Command {
  return command.option('--adapter <dir>', ADAPTER_HELP, collect, []);
}

/** --batch-size N of `what` per forward pass. */
export function batchSizeOption(command: Command, what: string, fallback: number): Command {
  return command.option(
    '--batch-size <n>',
    `${what} per forward pass`,
    positiveInteger('--batch-size'),
    fallback,
  );
}

/** --json: `what` instead of text. */
export function jsonOption(command: Command, what = 'print one JSON object on stdout'): Command {
  return command.option('--json', what);
}

export const TOKENIZER_HELP = `tokenizer file, or bytes / llama2 (default: ${TOKENIZER_FILES.join(', ')} in or next to the model)`;

export const ADAPTER_HELP =
  'LoRA adapter directory in PEFT format (adapter_config.json + adapter_model.safetensors), merged into the weights; repeat to stack several, in order';
