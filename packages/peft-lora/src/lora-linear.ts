import { isRecordingGradients, type Linear, matMul } from '@mini-llama/layers';
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

// The wrapper of each wrapped Linear, so that a second wrap is caught.
const wrappers = new WeakMap<Linear, LoraLinear>();

/**
 * LoRA around a frozen Linear (Hu et al. 2021, eq. 3): h = x·W + (α/r)·dropout(x)·A·B, with W [in, out] the
 * pretrained weight, A [in, r] random and B [r, out] zero at the start, so an untrained adapter computes
 * exactly the base layer. Several named adapters can sit on one layer; one of them runs at a time.
 *
 * The wrapper does not fork the model: it replaces the `apply` of the Linear instance (an own property over
 * the class's method) with its own, which calls the original. Everything that projects through the Linear —
 * attention, feed-forward — runs the adapter without knowing it; `unwrap()` puts the original back.
 */
export class LoraLinear {
  readonly base: Linear;
  readonly state: AdapterState;
  private readonly baseApply: (x: tf.Tensor) => tf.Tensor;
  private readonly ownApply: PropertyDescriptor | undefined; // an own `apply` the Linear had before us
  private readonly adapters = new Map<string, LoraWeights>();
  private readonly merged = new Set<string>();

  private constructor(base: Linear, state: AdapterState) {
    this.base = base;
    this.state = state;
    this.ownApply = Object.getOwnPropertyDescriptor(base, 'apply');
    const original = base.apply;
    this.baseApply = (x) => original.call(base, x);
    Object.defineProperty(base, 'apply', {
      value: (x: tf.Tensor) => this.apply(x),
      configurable: true,
      writable: true,
      enumerable: false,
    });
    wrappers.set(base, this);
  }

  /**
   * Wraps a Linear. `state` is shared with the other layers of a LoraModel; alone, a layer gets its own,
   * and its first adapter becomes the active one.
   */
  static fromBase(linear: Linear, state?: AdapterState): LoraLinear {
    if (wrappers.has(linear)) {
      throw new Error(
        'LoraLinear.fromBase: this Linear already has a LoRA wrapper; add adapters to it instead',
      );
    }
    return new LoraLinear(
      linear,
      state ?? { active: null, enabled: true, training: true, random: new Random(0) },
    );
  }

  /** The wrapper of a Linear, if it has one. */
  static of(linear: Linear): LoraLinear | undefined {
    return wrappers.get(linear);
  }

  get inFeatures(): number {
    return this.base.inFeatures;
  }

  get outFeatures(): number {
    return this.base.outFeatures;
  }

  /** x: [..., in] → [..., out] */
  apply(x: tf.Tensor): tf.Tensor {
    const name = this.state.enabled ? this.state.active : null;
    const adapter = name === null || this.merged.has(name) ? undefined : this.adapters.get(name);
    if (!adapter) return this.baseApply(x);
    return tf.tidy(() => {
      const y = this.baseApply(x); // [..., out]; checks x's last dimension
      const rows = x.size / this.inFeatures;
      let flat = tf.reshape(x, [rows, this.inFeatures]); // [N, in]
      if (adapter.dropout > 0 && this.state.training && isRecordingGradients()) {
        flat = tf.mul(flat, dropoutMask(flat.shape as [number, number], adapter.dropout, this.state.random));
      }
      const down = matMul(flat, adapter.a); // [N, r]
      const up = matMul(down, adapter.b); // [N, out]
      return tf.add(y, tf.reshape(tf.mul(up, adapter.scale), y.shape)); // [..., out]
    });
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

  /** The adapter's update of the weight, in the Linear's layout: scale · A·B, [in, out]. */
  delta(name: string): tf.Tensor2D {
    const { a, b, scale } = this.weights(name);
    return tf.tidy(() => tf.mul(tf.matMul(a, b), scale)); // [in, out]
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

  /** Gives the Linear its own apply back. Adapter weights stay until dispose(). */
  unwrap(): void {
    if (wrappers.get(this.base) !== this) return;
    if (this.ownApply) Object.defineProperty(this.base, 'apply', this.ownApply);
    else delete (this.base as { apply?: unknown }).apply;
    wrappers.delete(this.base);
  }

  /**
   * Unwraps and disposes every adapter. Merged updates stay in the base weight (that is how an adapter is
   * baked in); unmerge first to get the base layer back.
   */
  dispose(): void {
    this.unwrap();
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
