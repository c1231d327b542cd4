// What the tests of HF configs and weights share: a tiny config, a state dict of exact distinct values, and the
// error a function throws.
import { type LlamaConfig, resolveConfig } from './config.js';
import { expectedTensorShapes } from './expected-tensor-shapes.js';
import type { StateDict } from './state-dict.js';

export function tinyConfig(overrides: Partial<LlamaConfig> = {}): LlamaConfig {
  return resolveConfig({
    dim: 8,
    nLayers: 2,
    nHeads: 2,
    nKvHeads: 1,
    vocabSize: 5,
    maxSeqLen: 4,
    hiddenDim: 12,
    ...overrides,
  });
}

/** Every expected tensor, element j of tensor k = ((37 j + 11 k) % 101 - 50) / 64: distinct, exact values. */
export function formulaStateDict(config: LlamaConfig): StateDict {
  const stateDict: StateDict = new Map();
  let k = 0;
  for (const [name, shape] of expectedTensorShapes(config)) {
    const size = shape.reduce((product, n) => product * n, 1);
    const data = Float32Array.from({ length: size }, (_, j) => (((37 * j + 11 * k) % 101) - 50) / 64);
    stateDict.set(name, { shape, data });
    k++;
  }
  return stateDict;
}

export function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
