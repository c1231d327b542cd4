import type { BackendChoice, BackendRequest } from '@mini-llama/backends';
import { DEFAULT_HUB_ENDPOINT, parseHubReference } from '@mini-llama/formats';
import type { LossPoint } from './checkpoint-files.js';

/** What one visit of the page does; every field can be set in the page's URL (`?steps=30&loraSteps=10`). */
export interface RunOptions {
  backend: BackendRequest; // 'auto': WebGPU, else wasm, else cpu
  dim: number; // model width (4 heads, so a multiple of 8)
  layers: number; // decoder layers; each model shape keeps its own checkpoint
  steps: number; // pretraining steps in this visit (a reload continues from the last checkpoint)
  checkpointEvery: number; // steps between checkpoints (one is always written at the end of the visit)
  loraSteps: number; // steps of the LoRA fine-tune after pretraining (0: none)
  sampleTokens: number; // tokens generated for each sample (bytes for the model trained here)
  /** `hf:ORG/NAME[@REVISION]`: LoRA-fine-tune that checkpoint from the Hub instead of pretraining one here. */
  model: string | null;
  hub: string; // the Hub's endpoint for `model`
}

// The requests that make sense in a browser (tfjs-node is Node only). A type-only import of the backends
// package keeps tfjs out of the page's own bundle: only the worker loads it.
const BROWSER_BACKENDS: readonly BackendRequest[] = ['auto', 'webgpu', 'wasm', 'cpu'];

export const DEFAULT_OPTIONS: RunOptions = {
  backend: 'auto',
  dim: 64,
  layers: 2,
  steps: 200,
  checkpointEvery: 20,
  loraSteps: 40,
  sampleTokens: 48, // the prompts are 13 and 16 bytes: samples stay within the 64 bytes of context
  model: null,
  hub: DEFAULT_HUB_ENDPOINT,
};

/** Reads RunOptions from URL search parameters; an invalid value is an error naming the parameter. */
export function parseRunOptions(search: string): RunOptions {
  const params = new URLSearchParams(search);
  const options = { ...DEFAULT_OPTIONS };
  const backend = params.get('backend');
  if (backend !== null) {
    if (!BROWSER_BACKENDS.includes(backend as BackendRequest)) {
      throw new Error(`?backend=${backend}: expected one of ${BROWSER_BACKENDS.join(', ')}`);
    }
    options.backend = backend as BackendRequest;
  }
  for (const [key, minimum] of [
    ['dim', 8],
    ['layers', 1],
    ['steps', 0],
    ['checkpointEvery', 1],
    ['loraSteps', 0],
    ['sampleTokens', 1],
  ] as const) {
    const text = params.get(key);
    if (text === null) continue;
    const value = Number(text);
    if (!Number.isInteger(value) || value < minimum) {
      throw new Error(`?${key}=${text}: expected an integer ≥ ${minimum}`);
    }
    options[key] = value;
  }
  const model = params.get('model');
  if (model !== null) {
    if (parseHubReference(model) === null)
      throw new Error(`?model=${model}: expected hf:ORG/NAME[@REVISION]`);
    options.model = model;
  }
  const hub = params.get('hub');
  if (hub !== null) {
    if (!/^https?:\/\/[^/]+/.test(hub)) throw new Error(`?hub=${hub}: expected an http(s) URL`);
    options.hub = hub;
  }
  if (options.dim % 8 !== 0)
    throw new Error(`?dim=${options.dim}: expected a multiple of 8 (4 heads of an even width)`);
  return options;
}

export type Phase = 'pretrain' | 'lora';

/** Page → worker. */
export type PageMessage = { type: 'start'; options: RunOptions };

/** Worker → page. */
export type WorkerMessage =
  | { type: 'status'; text: string }
  | { type: 'backend'; choice: BackendChoice }
  | { type: 'model'; parameters: number; config: string }
  /** Training starts: from step 0, or from a checkpoint (with the loss curve saved in it). */
  | { type: 'resume'; fromStep: number | null; history: LossPoint[] }
  | { type: 'step'; phase: Phase; step: number; loss: number; tokensPerSecond: number }
  | { type: 'checkpoint'; step: number; bytes: number; milliseconds: number }
  /** A sample as it grows, token by token; `done` on the last one. */
  | { type: 'sample'; phase: Phase; prompt: string; text: string; done: boolean }
  | { type: 'lora'; trainable: number; total: number; percent: number; modules: number }
  /** WiSE-FT of the adapter (@mini-llama/study's adapterAlphaSweep): loss per byte of each text at each α. */
  | { type: 'sweep'; points: { alpha: number; loss: Record<string, number> }[] }
  /** tf.memory().numTensors after the first and after the last step of a phase: equal when nothing leaks. */
  | { type: 'tensors'; phase: Phase; afterFirstStep: number; afterLastStep: number }
  | { type: 'done' }
  | { type: 'error'; message: string };
