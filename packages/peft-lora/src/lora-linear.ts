import { isRecordingGradients, type LinearLike, matMul } from '@mini-llama/layers';
import { Random } from '@mini-llama/model';
import * as tf from '@tensorflow/tfjs-core';
import type { LoraInit } from './lora-config.js';

/**
 * Which adapter a wrapped layer runs, shared by every layer of one LoraModel so that switching adapters,
 * disabling them or leaving training mode is one assignment.
 */
export interface AdapterState {
  active: string | null; // the adapter that runs; null: none (the base layer alone)
  enabled: boolean; // false: every adapter is bypassed (PEFT's disable_adapter)
  training: boolean; // dropout applies only in training mode, and only while gradients are recorded
  random: Random; // dropout masks (seeded, the same on every backend)
}

export interface LoraAdapterOptions {
  rank: number;
  scale: number; // alpha / r (or alpha / √r)
  dropout?: number; // probability of zeroing an input of the adapter path while training
  /** How A starts (B always starts at zero); 'zeros' leaves A at zero too, for weights about to be loaded. */
  init?: LoraInit | 'zeros';
  random?: Random; // draws A; a fresh Random(0) when absent
}

/** One adapter's weights in the layout of our Linear ([in, out]): the update is x·A·B. */
export interface LoraWeights {
  readonly a: tf.Variable; // [in, r]; PEFT's lora_A.weight is its transpose [r, in]
  readonly b: tf.Variable; // [r, out]; PEFT's lora_B.weight is its transpose [out, r]
  readonly rank: number;
  readonly scale: number;
  readonly dropout: number;
}

/**
 * LoRA around a frozen projection (Hu et al. 2021, eq. 3): h = x·W + (α/r)·dropout(x)·A·B, with W [in, out]
 * the pretrained weight, A [in, r] random and B [r, out] zero at the start, so an untrained adapter computes
 * exactly the base layer. Several named adapters can sit on one layer; one of them runs at a time.
 *
 * It is a module of its own that takes the base's place in the model (`model.replaceModule(path, lora)`)
 * and calls the base: everything that projects through that place — attention, feed-forward — runs the
 * adapter without knowing it, and putting `base` back undoes it. `weight` and `bias` are the base's, so the
 * model's parameters and state dict keep their names and values.
 */
export class LoraLinear implements LinearLike {
  readonly base: LinearLike;
  readonly state: AdapterState;
  private readonly adapters = new Map<string, LoraWeights>();
  private readonly merged = new Set<string>();
  private readonly weightOf = new Map<string, number>(); // an adapter's share of its update (1 unless set)

  /** `state` is shared with the other layers of a LoraModel; alone, a layer gets its own. */
  constructor(base: LinearLike, state?: AdapterState) {
    if (base instanceof LoraLinear) {
      throw new Error('LoraLinear: the module is a LoRA layer already; add adapters to it instead');
    }
    this.base = base;
    this.state = state ?? { active: null, enabled: true, training: true, random: new Random(0) };
  }

  get inFeatures(): number {
    return this.base.inFeatures;
  }

  get outFeatures(): number {
    return this.base.outFeatures;
  }

  get weight(): tf.Variable {
    return this.base.weight;
  }

  get bias(): tf.Variable | undefined {
    return this.base.bias;
  }

  /** x: [..., in] → [..., out] */
  apply(x: tf.Tensor): tf.Tensor {
    const name = this.state.enabled ? this.state.active : null;
    const adapter = name === null || this.merged.has(name) ? undefined : this.adapters.get(name);
    if (!adapter) return this.base.apply(x);
    return tf.tidy(() => {
      const y = this.base.apply(x); // [..., out]; checks x's last dimension
      const rows = x.size / this.inFeatures;
      let flat = x.rank === 2 ? x : tf.reshape(x, [rows, this.inFeatures]); // [N, in]
      if (adapter.dropout > 0 && this.state.training && isRecordingGradients()) {
        flat = tf.mul(flat, dropoutMask(flat.shape as [number, number], adapter.dropout, this.state.random));
      }
      const down = matMul(flat, adapter.a); // [N, r]
      const up = matMul(down, adapter.b); // [N, out]
      const scale = adapter.scale * (this.weightOf.get(name!) ?? 1); // θ(α) = W₀ + α·scale·A·B
      return tf.add(y, tf.reshape(tf.mul(up, scale), y.shape)); // [..., out]
    });
  }

  /** The base's parameters (what the model's state dict holds); the adapters' are LoraModel's to report. */
  parameters(): Record<string, tf.Variable> {
    return this.base.parameters();
  }

  addAdapter(
    name: string,
    { rank, scale, dropout = 0, init = 'kaiming', random }: LoraAdapterOptions,
  ): LoraWeights {
    if (this.adapters.has(name)) throw new Error(`LoraLinear: adapter "${name}" exists already`);
    if (!Number.isSafeInteger(rank) || rank <= 0) {
      throw new Error(`LoraLinear: rank must be a positive integer, got ${rank}`);
    }
    const { inFeatures, outFeatures } = this;
    const values = initialA(inFeatures, rank, init, random ?? new Random(0));
    const weights: LoraWeights = {
      a: tf.tidy(() => tf.variable(tf.tensor2d(values, [inFeatures, rank]))),
      b: tf.tidy(() => tf.variable(tf.zeros([rank, outFeatures]))),
      rank,
      scale,
      dropout,
    };
    this.adapters.set(name, weights);
    if (this.state.active === null) this.state.active = name;
    return weights;
  }

  /**
   * How much of the adapter's update runs: h = x·W + α·scale·x·A·B (default α = 1). WiSE-FT of an adapter
   * (α between the base model, 0, and the fine-tuned one, 1) without a second model; PEFT's `scale_layer`.
   */
  setAdapterWeight(name: string, weight: number): void {
    this.weights(name);
    if (this.merged.has(name)) throw new Error(`LoraLinear: adapter "${name}" is merged; unmerge it first`);
    if (!Number.isFinite(weight))
      throw new Error(`LoraLinear: an adapter weight must be finite, got ${weight}`);
    this.weightOf.set(name, weight);
  }

  hasAdapter(name: string): boolean {
    return this.adapters.has(name);
  }

  adapterNames(): string[] {
    return [...this.adapters.keys()];
  }

  /** An adapter's weights; an error names the adapter when this layer has none of that name. */
  weights(name: string): LoraWeights {
    const weights = this.adapters.get(name);
    if (!weights) throw new Error(`LoraLinear: no adapter "${name}" on this layer`);
    return weights;
  }

  /** The adapter's update of the weight, in the Linear's layout: α·scale·A·B, [in, out] (α: its weight). */
  delta(name: string): tf.Tensor2D {
    const { a, b, scale } = this.weights(name);
    const weight = this.weightOf.get(name) ?? 1;
    return tf.tidy(() => tf.mul(tf.matMul(a, b), scale * weight)); // [in, out]
  }

  isMerged(name: string): boolean {
    return this.merged.has(name);
  }

  /** W ← W + scale·A·B: the adapter's output now comes from the base weight (and is skipped in apply). */
  merge(name: string): void {
    if (this.merged.has(name)) throw new Error(`LoraLinear: adapter "${name}" is merged already`);
    const delta = this.delta(name);
    tf.tidy(() => this.base.weight.assign(tf.add(this.base.weight, delta)));
    delta.dispose();
    this.merged.add(name);
  }

  /** W ← W − scale·A·B: undoes merge (equal to the original within float32 rounding). */
  unmerge(name: string): void {
    if (!this.merged.has(name)) throw new Error(`LoraLinear: adapter "${name}" is not merged`);
    const delta = this.delta(name);
    tf.tidy(() => this.base.weight.assign(tf.sub(this.base.weight, delta)));
    delta.dispose();
    this.merged.delete(name);
  }

  /** Disposes one adapter's weights (it must not be merged). */
  deleteAdapter(name: string): void {
    const weights = this.weights(name);
    if (this.merged.has(name)) {
      throw new Error(`LoraLinear: adapter "${name}" is merged into the base weight; unmerge it first`);
    }
    weights.a.dispose();
    weights.b.dispose();
    this.adapters.delete(name);
  }

  /**
   * Disposes every adapter (not the base: it belongs to the model). Merged updates stay in the base weight
   * (that is how an adapter is baked in); unmerge first to get the base layer back.
   */
  dispose(): void {
    for (const { a, b } of this.adapters.values()) {
      a.dispose();
      b.dispose();
    }
    this.adapters.clear();
    this.merged.clear();
  }
}

/**
 * A's initial values [in, r]. 'kaiming' is PEFT's default (nn.init.kaiming_uniform_ with a = √5, as
 * nn.Linear initialises its weight): gain √(2 / (1 + a²)) = √(1/3), bound = gain·√(3 / fan_in) = 1/√in.
 * 'gaussian' is PEFT's N(0, σ = 1/r).
 */
function initialA(inFeatures: number, rank: number, init: LoraInit | 'zeros', random: Random): Float32Array {
  const values = new Float32Array(inFeatures * rank);
  if (init === 'zeros') return values;
  if (init === 'gaussian') return random.normalArray(values.length, 1 / rank);
  const bound = 1 / Math.sqrt(inFeatures);
  for (let i = 0; i < values.length; i++) values[i] = (2 * random.next() - 1) * bound;
  return values;
}

/** Inverted dropout (Srivastava et al. 2014): each entry 0 with probability p, else 1 / (1 − p). */
function dropoutMask(shape: [number, number], probability: number, random: Random): tf.Tensor2D {
  const keep = 1 / (1 - probability);
  const values = new Float32Array(shape[0] * shape[1]);
  for (let i = 0; i < values.length; i++) values[i] = random.next() < probability ? 0 : keep;
  return tf.tensor2d(values, shape);
}
