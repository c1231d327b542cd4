import { type LinearLike, matMul } from '@mini-llama/layers';
import * as tf from '@tensorflow/tfjs-core';
import type { AdapterState } from './lora-linear.js';

/**
 * PEFT's modules_to_save: a module trained in full, one copy per adapter, while the original stays as it
 * was. Used for heads that a fine-tune must train whole (a classifier's freshly initialised `score`, an
 * untied `lm_head`).
 *
 * It takes the original's place in the model (`model.replaceModule('score', saved)`) and computes with the
 * active adapter's copy (the original when adapters are disabled or the active adapter has no copy). Its
 * `weight` is that copy too, which reaches the code that reads a head's weight directly (the fused output
 * head of LlamaModel.loss), and the model's `parameters()` report it: it is what the model computes with.
 */
export class ModulesToSave implements LinearLike {
  readonly base: LinearLike;
  readonly state: AdapterState;
  private readonly copies = new Map<string, tf.Variable>();

  constructor(base: LinearLike, state: AdapterState) {
    if (base instanceof ModulesToSave) throw new Error('ModulesToSave: the module is one already');
    if (base.bias) throw new Error('ModulesToSave: modules with a bias are not supported');
    this.base = base;
    this.state = state;
  }

  get inFeatures(): number {
    return this.base.inFeatures;
  }

  get outFeatures(): number {
    return this.base.outFeatures;
  }

  /** The weight the model computes with now: the active adapter's copy, else the original. */
  get weight(): tf.Variable {
    const name = this.state.enabled ? this.state.active : null;
    return (name !== null && this.copies.get(name)) || this.base.weight;
  }

  get bias(): undefined {
    return undefined;
  }

  /** x: [..., in] → [..., out] */
  apply(x: tf.Tensor): tf.Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new Error(
        `ModulesToSave: input has shape [${x.shape}], expected last dimension ${this.inFeatures}`,
      );
    }
    return tf.tidy(() => {
      const rows = x.rank === 2 ? x : tf.reshape(x, [-1, this.inFeatures]); // [N, in]
      const y = matMul(rows, this.weight); // [N, out]
      return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), this.outFeatures]); // [..., out]
    });
  }

  parameters(): Record<string, tf.Variable> {
    return { weight: this.weight };
  }

  /** A trainable copy of the original weight for this adapter. */
  addAdapter(name: string): tf.Variable {
    if (this.copies.has(name)) throw new Error(`ModulesToSave: adapter "${name}" exists already`);
    const copy = tf.tidy(() => tf.variable(tf.clone(this.base.weight)));
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
    if (!copy) throw new Error(`ModulesToSave: no copy for adapter "${name}"`);
    return copy;
  }

  deleteAdapter(name: string): void {
    this.copy(name).dispose();
    this.copies.delete(name);
  }

  /** Writes the adapter's copy into the original (PEFT's merge_and_unload keeps the trained module). */
  bakeIn(name: string): void {
    const copy = this.copy(name);
    tf.tidy(() => this.base.weight.assign(copy));
  }

  /** Disposes the copies (not the original: it belongs to the model). */
  dispose(): void {
    for (const copy of this.copies.values()) copy.dispose();
    this.copies.clear();
  }
}
