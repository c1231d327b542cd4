import type { LlamaConfig, NamedTensor, StateDict } from '@mini-llama/formats';
import { Linear, type LinearLike, matMul } from '@mini-llama/layers';
import * as tf from '@tensorflow/tfjs-core';
import { type AttentionMask, type LlamaModel, type LlamaModelOptions, transpose2d } from './llama-model.js';
import { replaceInSlot } from './module-tree.js';
import { Random } from './random.js';

const SCORE = 'score.weight';

/**
 * A Llama with a classification head, as HF's LlamaForSequenceClassification: the final-norm hidden state of
 * each row's last real (non-pad) token goes through `score` (no bias) to one logit per label. The last real
 * token is found from the attention mask, so left and right padding give the same logits.
 */
export class SequenceClassifier {
  readonly backbone: LlamaModel;
  score: LinearLike; // weight [dim, numLabels]
  readonly numLabels: number;

  constructor(backbone: LlamaModel, numLabels: number, { seed = 0 }: Pick<LlamaModelOptions, 'seed'> = {}) {
    if (!Number.isInteger(numLabels) || numLabels < 2) {
      throw new Error(`SequenceClassifier: numLabels must be an integer ≥ 2, got ${numLabels}`);
    }
    this.backbone = backbone;
    this.numLabels = numLabels;
    this.score = new Linear({ inFeatures: backbone.config.dim, outFeatures: numLabels });
    // N(0, 0.02) as the rest of the model (HF initialises the score layer the same way)
    const values = new Random(seed).normalArray(backbone.config.dim * numLabels, 0.02);
    tf.tidy(() => this.score.weight.assign(tf.tensor2d(values, [backbone.config.dim, numLabels])));
  }

  get config(): LlamaConfig {
    return this.backbone.config;
  }

  /**
   * tokens: [B, T] int32, attentionMask: row-major [B, T] of 1 (real) / 0 (pad) → logits [B, numLabels].
   * Without a mask every position is real and the last one is read.
   */
  logits(tokens: tf.Tensor, attentionMask?: AttentionMask): tf.Tensor2D {
    const [B, T] = tokens.shape as [number, number];
    const last = lastRealPositions(B, T, attentionMask);
    return tf.tidy(() => {
      const hidden = this.backbone.hiddenStates(tokens, { attentionMask }); // [B, T, dim]
      const dim = this.config.dim;
      // Select each row's last real position with a one-hot product: its gradient is a matMul, which every
      // backend has (gather's gradient needs UnsortedSegmentSum, missing on wasm).
      const selection = new Float32Array(B * B * T);
      last.forEach((position, row) => {
        selection[row * B * T + row * T + position] = 1;
      });
      const pooled = matMul(tf.tensor2d(selection, [B, B * T]), tf.reshape(hidden, [B * T, dim])); // [B, dim]
      return this.score.apply(pooled) as tf.Tensor2D; // [B, numLabels]
    });
  }

  /** The HF paths of the modules `replaceModule` can replace: the backbone's, then `score`. */
  modulePaths(): string[] {
    return [...this.backbone.modulePaths().filter((path) => path !== 'lm_head'), 'score'];
  }

  /** The module at an HF path: `score`, or one of the backbone's (`model.layers.0.self_attn.q_proj`). */
  module(path: string): LinearLike {
    return path === 'score' ? this.score : this.backbone.module(path);
  }

  /** Puts `module` at an HF path (see LlamaModel.replaceModule); returns the module it replaced. */
  replaceModule(path: string, module: LinearLike): LinearLike {
    if (path !== 'score') return this.backbone.replaceModule(path, module);
    return replaceInSlot({ get: () => this.score, set: (m) => (this.score = m) }, module, path);
  }

  /** Sets the head from a `score.weight` [numLabels, dim] (HF's layout; ours is its transpose). */
  setScore(head: NamedTensor): void {
    const [numLabels, dim] = head.shape as [number, number];
    if (head.shape.length !== 2 || numLabels !== this.numLabels || dim !== this.config.dim) {
      throw new Error(
        `SequenceClassifier.setScore: a head of [${head.shape}] does not fit ${this.numLabels} labels on dim ${this.config.dim}`,
      );
    }
    tf.tidy(() =>
      this.score.weight.assign(tf.tensor2d(transpose2d(head.data, numLabels, dim), [dim, numLabels])),
    );
  }

  /** Backbone parameters by HF name, plus `score.weight`. */
  parameters(): Record<string, tf.Variable> {
    return { ...this.backbone.parameters(), [SCORE]: this.score.weight };
  }

  async stateDict(): Promise<StateDict> {
    const out = await this.backbone.stateDict();
    const values = (await this.score.weight.data()) as Float32Array;
    const [dim, labels] = this.score.weight.shape as [number, number];
    out.set(SCORE, { shape: [labels, dim], data: transpose2d(values, dim, labels) }); // HF: [numLabels, dim]
    return out;
  }

  loadStateDict(stateDict: StateDict, source = 'state dict'): void {
    const score = stateDict.get(SCORE);
    if (!score) throw new Error(`${source}: missing tensor ${SCORE} (the classification head)`);
    const [dim, labels] = this.score.weight.shape as [number, number];
    if (score.shape[0] !== labels || score.shape[1] !== dim) {
      throw new Error(
        `${source}: ${SCORE} has shape [${score.shape}], this classifier needs [${labels},${dim}]`,
      );
    }
    const backbone: StateDict = new Map([...stateDict].filter(([name]) => name !== SCORE));
    this.backbone.loadStateDict(backbone, source);
    const values = transpose2d((score as NamedTensor).data, labels, dim);
    tf.tidy(() => this.score.weight.assign(tf.tensor2d(values, [dim, labels])));
  }

  /** Disposes the head only; the backbone belongs to whoever made it. */
  dispose(): void {
    this.score.dispose();
  }
}

/** Index of each row's last real token (mask: row-major [B, T]); a row of padding only is an error. */
export function lastRealPositions(B: number, T: number, attentionMask?: AttentionMask): number[] {
  if (!attentionMask) return Array(B).fill(T - 1);
  return Array.from({ length: B }, (_, b) => {
    const last = attentionMask.subarray(b * T, (b + 1) * T).lastIndexOf(1);
    if (last < 0) throw new Error(`SequenceClassifier: row ${b} of the attention mask has no real token`);
    return last;
  });
}
