import type { LlamaConfig } from '@mini-llama/formats';
import {
  FeedForward,
  GroupedQueryAttention,
  type LayerKvCache,
  type Linear,
  prefixed,
  RmsNorm,
  type RotaryEmbedding,
  type RotaryTables,
} from '@mini-llama/layers';
import * as tf from '@tensorflow/tfjs-core';

export interface DecoderLayerCall {
  rotary: RotaryEmbedding;
  positions: number | tf.Tensor | RotaryTables;
  mask: tf.Tensor | null;
  cache: LayerKvCache | undefined;
}

/** One pre-norm transformer block: h = h + attention(norm(h)); h = h + feedForward(norm(h)). */
export class DecoderLayer {
  readonly inputLayernorm: RmsNorm;
  readonly selfAttn: GroupedQueryAttention;
  readonly postAttentionLayernorm: RmsNorm;
  readonly mlp: FeedForward;

  constructor(config: LlamaConfig, makeLinear?: (inFeatures: number, outFeatures: number) => Linear) {
    const { dim, nHeads, nKvHeads, hiddenDim, normEps } = config;
    this.inputLayernorm = new RmsNorm({ dim, eps: normEps });
    this.selfAttn = new GroupedQueryAttention({ dim, nHeads, nKvHeads, makeLinear });
    this.postAttentionLayernorm = new RmsNorm({ dim, eps: normEps });
    this.mlp = new FeedForward({ dim, hiddenDim, makeLinear });
  }

  /** h: [B, T, dim] → [B, T, dim] */
  apply(h: tf.Tensor, { rotary, positions, mask, cache }: DecoderLayerCall): tf.Tensor {
    return tf.tidy(() => {
      const attended = this.selfAttn.apply(this.inputLayernorm.apply(h), { rotary, positions, mask, cache });
      const [afterAttention, normed] = this.postAttentionLayernorm.addAndApply(h, attended); // h + attended, and its norm
      return tf.add(afterAttention, this.mlp.apply(normed));
    });
  }

  /** HF names relative to the layer: `self_attn.q_proj.weight`, `mlp.gate_proj.weight`, … */
  parameters(): Record<string, tf.Variable> {
    return {
      ...prefixed('input_layernorm', this.inputLayernorm.parameters()),
      ...prefixed('self_attn', this.selfAttn.parameters()),
      ...prefixed('post_attention_layernorm', this.postAttentionLayernorm.parameters()),
      ...prefixed('mlp', this.mlp.parameters()),
    };
  }

  dispose(): void {
    this.inputLayernorm.dispose();
    this.selfAttn.dispose();
    this.postAttentionLayernorm.dispose();
    this.mlp.dispose();
  }
}
