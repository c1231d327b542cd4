import type { Linear } from '@mini-llama/layers';
import * as tf from '@tensorflow/tfjs-core';
import type { AdapterState } from './lora-linear.js';

// The wrapper of each wrapped Linear, so that a second wrap is caught.
const wrappers = new WeakMap<Linear, ModulesToSaveWrapper>();

/**
 * PEFT's modules_to_save: a module trained in full, one copy per adapter, while the original stays as it
 * was. Used for heads that a fine-tune must train whole (a classifier's freshly initialised `score`, an
 * untied `lm_head`).
 *
 * The copy takes the original's place by making the Linear's `weight` a getter that returns the active
 * adapter's copy (the original when adapters are disabled or the active adapter has no copy). That reaches
 * every use of the weight — `apply`, and the fused output head of LlamaModel.loss, which reads
 * `lmHead.weight` directly — without a change to the model. While a copy is active, the model's
 * `parameters()` reports the copy: it is what the model computes with.
 */
export class ModulesToSaveWrapper {
  readonly base: Linear;
  readonly state: AdapterState;
  readonly original: tf.Variable; // [in, out]
  private readonly copies = new Map<string, tf.Variable>();

  private constructor(base: Linear, state: AdapterState) {
    if (base.bias) throw new Error('ModulesToSaveWrapper: Linear layers with a bias are not supported');
    this.base = base;
    this.state = state;
    this.original = base.weight;
    Object.defineProperty(base, 'weight', {
      get: () => this.current(),
      configurable: true,
      enumerable: true,
    });
    wrappers.set(base, this);
  }

  static fromBase(linear: Linear, state: AdapterState): ModulesToSaveWrapper {
    if (wrappers.has(linear)) {
      throw new Error('ModulesToSaveWrapper.fromBase: this Linear is wrapped already');
    }
    return new ModulesToSaveWrapper(linear, state);
  }

  /** The wrapper of a Linear, if it has one. */
  static of(linear: Linear): ModulesToSaveWrapper | undefined {
    return wrappers.get(linear);
  }

  /** The weight the model computes with now. */
  current(): tf.Variable {
    const name = this.state.enabled ? this.state.active : null;
    return (name !== null && this.copies.get(name)) || this.original;
  }

  /** A trainable copy of the original weight for this adapter. */
  addAdapter(name: string): tf.Variable {
    if (this.copies.has(name)) throw new Error(`ModulesToSaveWrapper: adapter "${name}" exists already`);
    const copy = tf.tidy(() => tf.variable(tf.clone(this.original)));
    this.copies.set(name, copy);
    return copy;
  }

  hasAdapter(name: string): boolean {
    return this.copies.has(name);
  }

  adapterNames(): string[] {
    return [...this.copies.keys()];
  }

  copy(name: string): tf.Variable {
    const copy = this.copies.get(name);
    if (!copy) throw new Error(`ModulesToSaveWrapper: no copy for adapter "${name}"`);
    return copy;
  }

  deleteAdapter(name: string): void {
    this.copy(name).dispose();
    this.copies.delete(name);
  }

  /** Writes the adapter's copy into the original (PEFT's merge_and_unload keeps the trained module). */
  bakeIn(name: string): void {
    const copy = this.copy(name);
    tf.tidy(() => this.original.assign(copy));
  }

  /** Makes `weight` the original variable again; copies stay until dispose(). */
  unwrap(): void {
    if (wrappers.get(this.base) !== this) return;
    Object.defineProperty(this.base, 'weight', {
      value: this.original,
      configurable: true,
      writable: true,
      enumerable: true,
    });
    wrappers.delete(this.base);
  }

  dispose(): void {
    this.unwrap();
    for (const copy of this.copies.values()) copy.dispose();
    this.copies.clear();
  }
}
