// What the bench page (bench.html) asks its worker and what it exposes to a driver as window.__miniLlamaBench.
import type { BenchMode, Measurement } from '@mini-llama/bench';
import { LLAMA_PRESETS, type LlamaPresetName } from '@mini-llama/model';

export interface BenchRequest {
  preset: LlamaPresetName;
  modes: BenchMode[];
  /** Training: sequences per step. */
  batch: number;
  /** Training: tokens per sequence. */
  seqLen: number;
  /** Timed seconds per mode (after one warm-up step or generation; at least two timed ones). */
  seconds: number;
  /** wasm's XNNPACK threads (runs only on a cross-origin-isolated page); null: tfjs's default. */
  threads: number | null;
}

export type BenchWorkerMessage =
  | { type: 'status'; text: string }
  | { type: 'done'; rows: Measurement[]; threads: number | null; crossOriginIsolated: boolean }
  | { type: 'error'; message: string };

/** What the page exposes for a driver (Playwright) to read. */
export interface BenchState {
  phase: 'running' | 'done' | 'error';
  request: BenchRequest;
  status: string;
  rows: Measurement[];
  /** The threads wasm runs on (tfjs's getThreadsCount), once started. */
  threads: number | null;
  crossOriginIsolated: boolean;
  userAgent: string;
  error: string | null;
}

declare global {
  interface Window {
    __miniLlamaBench?: BenchState;
  }
}

const MODES: readonly BenchMode[] = ['train', 'lora', 'generate'];

/** ?preset=stories15M&modes=train&batch=8&seq=256&seconds=20&threads=2 → a request (defaults: a quick check). */
export function parseBenchQuery(search: string): BenchRequest {
  const query = new URLSearchParams(search);
  const preset = query.get('preset') ?? 'stories260K';
  if (!(preset in LLAMA_PRESETS)) {
    throw new Error(`preset: unknown '${preset}' (${Object.keys(LLAMA_PRESETS).join(', ')})`);
  }
  const modes = (query.get('modes') ?? 'train').split(',');
  for (const mode of modes) {
    if (!(MODES as readonly string[]).includes(mode)) {
      throw new Error(`modes: unknown '${mode}' (${MODES.join(', ')})`);
    }
  }
  const positive = (name: string, fallback: number, integer = true): number => {
    const text = query.get(name);
    const value = text === null ? fallback : Number(text);
    if (!(value > 0) || (integer && !Number.isInteger(value))) {
      throw new Error(`${name}: expected a positive ${integer ? 'integer' : 'number'}, got '${text}'`);
    }
    return value;
  };
  return {
    preset: preset as LlamaPresetName,
    modes: modes as BenchMode[],
    batch: positive('batch', 8),
    seqLen: positive('seq', 256),
    seconds: positive('seconds', 5, false),
    threads: query.has('threads') ? positive('threads', 1) : null,
  };
}
