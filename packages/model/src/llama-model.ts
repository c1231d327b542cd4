import type { NamedTensor, StateDict } from '@mini-llama/formats';
import {
  type LlamaConfig,
  type LlamaConfigInput,
  resolveConfig,
  ropeInverseFrequencies,
} from '@mini-llama/formats';
import {
  causalMask,
  Embedding,
  Linear,
  type LinearCrossEntropyOptions,
  type LinearLike,
  linearCrossEntropy,
  MASKED_SCORE,
  matMul,
  RmsNorm,
  RotaryEmbedding,
  swapLastTwoAxes,
} from '@mini-llama/layers';
import * as tf from '@tensorflow/tfjs-core';
import { DecoderLayer } from './decoder-layer.js';
import { KvCache } from './kv-cache.js';
import {
  layerModulePaths,
  layerModuleSlot,
  type ModuleSlot,
  replaceInSlot,
  unknownModule,
} from './module-tree.js';
import { Random } from './random.js';

export interface LlamaModelOptions {
  /** Seed for llama2.c's initialisation; `init: 'none'` leaves zeros (weights are about to be loaded). */
  seed?: number;
  init?: 'llama2c' | 'none';
}

export interface ForwardOptions {
  /** Keys and values of earlier positions: the tokens given continue after them, and are appended. */
  cache?: KvCache;
  /**
   * 1 for a real token, 0 for padding, over the cached and the new positions: row-major
   * [B, cacheLength + T] (a batch's `attentionMask` as @mini-llama/data's TokenBatch carries it). Padded
   * positions are never attended to, and positions count real tokens only, so a left-padded row computes
   * what it would alone. A typed array, not a tensor: the positions are counted from it on the CPU (reading
   * a tensor back would need an asynchronous read on WebGPU).
   */
  attentionMask?: AttentionMask;
}

/** A padding mask: 1 real, 0 pad, row-major [B, keyLength]. */
export type AttentionMask = Uint8Array | Int32Array;

const EMBEDDING = 'model.embed_tokens.weight';
const LM_HEAD = 'lm_head.weight';

/**
 * The Llama 2 decoder (Touvron et al. 2023): token embedding, nLayers pre-norm blocks of grouped-query
 * attention with rotary positions and a SwiGLU feed-forward, a final RMSNorm and the output head.
 * Field names mirror HF's `LlamaForCausalLM` so weight loading is a mechanical mapping.
 */
export class LlamaModel {
  readonly config: LlamaConfig;
  readonly embedTokens: Embedding;
  readonly layers: DecoderLayer[];
  readonly norm: RmsNorm;
  /** The output head, or null when it is tied to the token embedding. */
  lmHead: LinearLike | null;
  readonly rotary: RotaryEmbedding;

  constructor(
    config: LlamaConfig | LlamaConfigInput,
    { seed = 0, init = 'llama2c' }: LlamaModelOptions = {},
  ) {
    this.config = resolveConfig(config);
    const { dim, nLayers, headDim, vocabSize, normEps, maxSeqLen, tieEmbeddings } = this.config;
    this.embedTokens = new Embedding({ numEmbeddings: vocabSize, embeddingDim: dim });
    this.layers = Array.from({ length: nLayers }, () => new DecoderLayer(this.config));
    this.norm = new RmsNorm({ dim, eps: normEps });
    this.lmHead = tieEmbeddings ? null : new Linear({ inFeatures: dim, outFeatures: vocabSize });
    this.rotary = new RotaryEmbedding({
      headDim,
      maxSeqLen,
      inverseFrequencies: ropeInverseFrequencies(this.config),
    });
    if (init === 'llama2c') this.initialize(seed);
  }

  /**
   * llama2.c's initialisation: every matrix N(0, 0.02), the residual projections (o_proj and llama2.c's w3,
   * HF's up_proj) scaled by 1/sqrt(2·nLayers) (GPT-2 paper, section 2.3), norms at one. Seeded and
   * backend-independent.
   */
  initialize(seed: number): void {
    const random = new Random(seed);
    const residualStd = 0.02 / Math.sqrt(2 * this.config.nLayers);
    for (const [name, variable] of Object.entries(this.parameters())) {
      tf.tidy(() => {
        if (variable.rank === 1) {
          variable.assign(tf.onesLike(variable));
          return;
        }
        const std = name.endsWith('o_proj.weight') || name.endsWith('up_proj.weight') ? residualStd : 0.02;
        variable.assign(tf.tensor(random.normalArray(variable.size, std), variable.shape));
      });
    }
  }

  /** tokens: [B, T] int32 → logits [B, T, vocab] */
  forward(tokens: tf.Tensor, options: ForwardOptions = {}): tf.Tensor3D {
    return tf.tidy(() => this.logitsFromHidden(this.hiddenStates(tokens, options)));
  }

  /** tokens: [B, T] int32 → final-norm hidden states [B, T, dim] (what a classification head reads). */
  hiddenStates(tokens: tf.Tensor, { cache, attentionMask }: ForwardOptions = {}): tf.Tensor3D {
    if (tokens.rank !== 2)
      throw new Error(`LlamaModel: tokens have shape [${tokens.shape}], expected [B, T]`);
    if (tokens.dtype !== 'int32')
      throw new Error(`LlamaModel: tokens have dtype ${tokens.dtype}, expected int32`);
    const [B, T] = tokens.shape as [number, number];
    const start = cache?.length ?? 0;
    const keyLength = start + T;
    if (keyLength > this.config.maxSeqLen) {
      throw new Error(
        `LlamaModel: ${keyLength} positions (${start} cached + ${T} new) exceed the context length maxSeqLen ${this.config.maxSeqLen}`,
      );
    }
    const { slidingWindow } = this.config;
    if (slidingWindow !== null && keyLength > slidingWindow) {
      // Within the window sliding attention is full causal attention; beyond it, tokens would have to forget
      // the oldest positions, which this model does not implement.
      throw new Error(
        `LlamaModel: ${keyLength} positions exceed the model's sliding window of ${slidingWindow} (config.slidingWindow): this model attends over whole sequences only, so keep sequences (prompt and generated tokens) within ${slidingWindow}`,
      );
    }
    if (cache && cache.layers.length !== this.layers.length) {
      throw new Error(`LlamaModel: cache has ${cache.layers.length} layers, the model ${this.layers.length}`);
    }
    return tf.tidy(() => {
      const { positions, mask } = this.positionsAndMask(B, T, start, attentionMask);
      const rope = this.rotary.tables(positions, B, T); // once for the q and k of every layer
      // The residual stream is rows [B·T, dim] through the stack: one reshape here, none in the layers.
      let h = tf.reshape(this.embedTokens.apply(tokens), [B * T, this.config.dim]); // [B·T, dim]
      this.layers.forEach((layer, i) => {
        const call = { rotary: this.rotary, batch: B, positions: rope, mask, cache: cache?.layers[i] };
        h = layer.apply(h, call);
      });
      return tf.reshape(this.norm.apply(h), [B, T, this.config.dim]) as tf.Tensor3D;
    });
  }

  /**
   * hidden: [B, T, dim] → logits [B, T, vocab]. `head` is the output matrix [dim, vocab] when the caller holds
   * one already (see `inferenceHead`); otherwise it is the untied head or the transposed embedding.
   */
  logitsFromHidden(hidden: tf.Tensor, head?: tf.Tensor): tf.Tensor3D {
    const [B, T, dim] = hidden.shape as [number, number, number];
    return tf.tidy(() => {
      const flat = tf.reshape(hidden, [B * T, dim]); // [B·T, dim]
      const logits = head
        ? matMul(flat, head)
        : this.lmHead
          ? this.lmHead.apply(flat)
          : matMul(flat, swapLastTwoAxes(this.embedTokens.weight)); // tied: h · Eᵀ, [B·T, vocab]
      return tf.reshape(logits, [B, T, this.config.vocabSize]) as tf.Tensor3D;
    });
  }

  /**
   * The output matrix [dim, vocab] as one tensor to reuse across decoding steps: a tied head would otherwise
   * transpose the [vocab, dim] embedding for every token (as much memory traffic as the product itself), and
   * a new tensor each time defeats the wasm backend's cache of packed matMul weights. The caller disposes it;
   * it is a snapshot, so take a new one after the weights change.
   */
  inferenceHead(): tf.Tensor2D {
    return tf.tidy(() =>
      this.lmHead ? tf.clone(this.lmHead.weight) : swapLastTwoAxes(this.embedTokens.weight),
    ) as tf.Tensor2D;
  }

  /**
   * Mean next-token cross-entropy of the model on inputs [B, T] against targets [B, T] (int32), for training.
   * Equals `crossEntropy(forward(inputs), targets)` but never holds all [B, T, vocab] logits: the output head
   * and the loss run fused, a chunk of rows at a time (`linearCrossEntropy`).
   */
  loss(
    inputs: tf.Tensor,
    targets: tf.Tensor,
    options: LinearCrossEntropyOptions & ForwardOptions = {},
  ): tf.Scalar {
    return tf.tidy(() => {
      const hidden = this.hiddenStates(inputs, options); // [B, T, dim]
      const head = this.lmHead ? this.lmHead.weight : swapLastTwoAxes(this.embedTokens.weight); // [dim, vocab]
      return linearCrossEntropy(hidden, head, targets, options);
    });
  }

  /** An empty cache for incremental decoding with this model. */
  createCache(): KvCache {
    return new KvCache(this.layers.length);
  }

  /** The HF paths of the modules `replaceModule` can replace: every layer's projections, then `lm_head`. */
  modulePaths(): string[] {
    const paths = this.layers.flatMap((_, i) => layerModulePaths(i));
    return this.lmHead ? [...paths, 'lm_head'] : paths;
  }

  /** The module at an HF path (`model.layers.0.self_attn.q_proj`, `lm_head`). */
  module(path: string): LinearLike {
    return this.slot(path).get();
  }

  /**
   * Puts `module` at an HF path in place of the module there, which it returns (the same shape is required).
   * Adapters enter the model this way (peft-lora's LoraLinear wraps the module it replaces and calls it).
   */
  replaceModule(path: string, module: LinearLike): LinearLike {
    return replaceInSlot(this.slot(path), module, path);
  }

  private slot(path: string): ModuleSlot {
    if (path === 'lm_head' && this.lmHead) {
      return { get: () => this.lmHead!, set: (module) => (this.lmHead = module) };
    }
    const slot = layerModuleSlot(this.layers, path);
    if (!slot) throw unknownModule(path, `${layerModulePaths(0)[0]}${this.lmHead ? ' or lm_head' : ''}`);
    return slot;
  }

  /** Every parameter by its HF name. Linear weights are [in, out] here, [out, in] in files. */
  parameters(): Record<string, tf.Variable> {
    const named: Record<string, tf.Variable> = { [EMBEDDING]: this.embedTokens.weight };
    this.layers.forEach((layer, i) => {
      for (const [key, variable] of Object.entries(layer.parameters()))
        named[`model.layers.${i}.${key}`] = variable;
    });
    named['model.norm.weight'] = this.norm.weight;
    if (this.lmHead) named[LM_HEAD] = this.lmHead.weight;
    return named;
  }

  /** Parameter count (a tied head counted once). */
  parameterCount(): number {
    return Object.values(this.parameters()).reduce((total, variable) => total + variable.size, 0);
  }

  /**
   * The weights in the shared file representation (HF names, PyTorch [out, in] shapes); with `names`, only those
   * (each must be a parameter), so reading one tensor does not copy every weight to JavaScript.
   */
  async stateDict(names?: readonly string[]): Promise<StateDict> {
    const out: StateDict = new Map();
    const parameters = this.parameters();
    const unknown = (names ?? []).filter((name) => !(name in parameters));
    if (unknown.length > 0) throw new Error(`stateDict: no parameter named ${unknown.join(', ')}`);
    const chosen = names
      ? names.map((name) => [name, parameters[name]!] as const)
      : Object.entries(parameters);
    for (const [name, variable] of chosen) {
      const values = (await variable.data()) as Float32Array;
      if (isLinearWeight(name, variable.rank)) {
        const [inFeatures, outFeatures] = variable.shape as [number, number];
        out.set(name, {
          shape: [outFeatures, inFeatures],
          data: transpose2d(values, inFeatures, outFeatures),
        });
      } else {
        out.set(name, { shape: [...variable.shape], data: Float32Array.from(values) });
      }
    }
    return out;
  }

  /** Loads weights from the shared representation; every tensor must be present with its exact shape. */
  loadStateDict(stateDict: StateDict, source = 'state dict'): void {
    const parameters = this.parameters();
    const missing = Object.keys(parameters).filter((name) => !stateDict.has(name));
    if (missing.length > 0) {
      throw new Error(
        `${source}: missing ${missing.length} tensor(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`,
      );
    }
    const unexpected = [...stateDict.keys()].filter((name) => !(name in parameters));
    if (unexpected.length > 0) {
      throw new Error(
        `${source}: unexpected tensor(s) for this config: ${unexpected.slice(0, 5).join(', ')}`,
      );
    }
    for (const name of Object.keys(parameters)) this.loadParameter(name, stateDict.get(name)!, source);
  }

  /**
   * Sets one parameter from a tensor in PyTorch's layout (HF name; Linear weights [out, in]): what loading a
   * checkpoint a tensor at a time calls, so only one tensor's values are held outside the model at once.
   */
  loadParameter(name: string, tensor: NamedTensor, source = 'state dict'): void {
    const variable = this.parameters()[name];
    if (!variable) throw new Error(`${source}: unexpected tensor ${name} for this config`);
    const linear = isLinearWeight(name, variable.rank);
    const expected = linear ? [variable.shape[1], variable.shape[0]] : variable.shape;
    if (tensor.shape.length !== expected.length || tensor.shape.some((size, i) => size !== expected[i])) {
      throw new Error(`${source}: ${name} has shape [${tensor.shape}], the config needs [${expected}]`);
    }
    const values = linear ? transpose2d(tensor.data, tensor.shape[0]!, tensor.shape[1]!) : tensor.data;
    tf.tidy(() => {
      variable.assign(tf.tensor(values, variable.shape, 'float32'));
      // tfjs-node keeps written values in JavaScript until a kernel first reads them, then copies them into
      // TensorFlow: a loaded model would hold every weight twice until its first forward pass (TinyLlama: 8.5
      // GiB instead of 4.6). Reading the weight now (a reshape; elsewhere it shares the data) leaves one
      // tensor's values in JavaScript at a time.
      tf.reshape(variable, [-1]);
    });
  }

  dispose(): void {
    this.embedTokens.dispose();
    for (const layer of this.layers) layer.dispose();
    this.norm.dispose();
    this.lmHead?.dispose();
    this.rotary.dispose();
  }

  private positionsAndMask(
    B: number,
    T: number,
    start: number,
    attentionMask: AttentionMask | undefined,
  ): { positions: number | tf.Tensor; mask: tf.Tensor | null } {
    const keyLength = start + T;
    if (!attentionMask) {
      // One new token after a cache may see everything: no mask at all.
      return { positions: start, mask: T === 1 ? null : causalMask(T, keyLength) };
    }
    if (attentionMask.length !== B * keyLength) {
      throw new Error(
        `LlamaModel: attentionMask has ${attentionMask.length} entries, expected [${B}, ${keyLength}] = ${B * keyLength} (cached + new positions)`,
      );
    }
    // Each token's position counts the real tokens before it, so padding does not shift rotary angles.
    const positions = new Int32Array(B * T);
    const padding = new Float32Array(B * keyLength);
    for (let b = 0; b < B; b++) {
      let seen = 0;
      for (let j = 0; j < keyLength; j++) {
        if (attentionMask[b * keyLength + j]) seen++;
        else padding[b * keyLength + j] = 1;
        if (j >= start) positions[b * T + j - start] = Math.max(0, seen - 1);
      }
    }
    const causal = tf.reshape(causalMask(T, keyLength), [1, 1, T, keyLength]);
    const pads = tf.mul(tf.tensor4d(padding, [B, 1, 1, keyLength]), MASKED_SCORE); // [B, 1, 1, Tk]
    return { positions: tf.tensor2d(positions, [B, T], 'int32'), mask: tf.add(causal, pads) };
  }
}

function isLinearWeight(name: string, rank: number): boolean {
  return rank === 2 && name !== EMBEDDING;
}

/** Row-major [rows, cols] → [cols, rows]. */
export function transpose2d(
  values: Float32Array | Int32Array | Uint8Array,
  rows: number,
  cols: number,
): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  }
  return out;
}
