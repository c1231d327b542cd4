import type { LlamaConfig } from '@mini-llama/formats';
import {
  decoderStep,
  FeedForward,
  GroupedQueryAttention,
  type LayerKvCache,
  prefixed,
  RmsNorm,
  type RotaryEmbedding,
  type RotaryTables,
} from '@mini-llama/layers';
import * as tf from '@tensorflow/tfjs-core';

export interface DecoderLayerCall {
  rotary: RotaryEmbedding;
  batch: number; // B: the residual stream h is rows [B·T, dim]
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

  constructor(config: LlamaConfig) {
    const { dim, nHeads, nKvHeads, headDim, hiddenDim, normEps } = config;
    this.inputLayernorm = new RmsNorm({ dim, eps: normEps });
    this.selfAttn = new GroupedQueryAttention({
      dim,
      nHeads,
      nKvHeads,
      headDim,
      qkvBias: config.qkvBias,
      outputBias: config.attentionOutputBias,
    });
    this.postAttentionLayernorm = new RmsNorm({ dim, eps: normEps });
    this.mlp = new FeedForward({ dim, hiddenDim, bias: config.mlpBias });
  }

  /** h: rows [B·T, dim] of B sequences → [B·T, dim] */
  apply(h: tf.Tensor, call: DecoderLayerCall): tf.Tensor {
    // one new token per row after a cache: the whole layer in one kernel where it runs (small layers on wasm, cpu)
    const fused = decoderStep(h, this, call);
    if (fused) return fused;
    return tf.tidy(() => {
      const x = tf.add(h, this.selfAttn.apply(this.inputLayernorm.apply(h), call));
      return tf.add(x, this.mlp.apply(this.postAttentionLayernorm.apply(x)));
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
