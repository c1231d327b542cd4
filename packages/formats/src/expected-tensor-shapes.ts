/**
 * The tensors a Llama config implies, under HF names with PyTorch [out, in] shapes: the schema that every
 * weight format is read into and written from (see ../state-dict.ts).
 */
import { type LlamaConfig, swiGluHiddenDim } from './config.js';

/** Name → shape of every weight, in HF's module order; `lm_head.weight` only when the head is untied. */
export function expectedTensorShapes(config: LlamaConfig): Map<string, number[]> {
  const { dim, nLayers, nHeads, nKvHeads, headDim, vocabSize, hiddenDim, tieEmbeddings } = config;
  const shapes = new Map<string, number[]>();
  shapes.set('model.embed_tokens.weight', [vocabSize, dim]);
  for (let i = 0; i < nLayers; i++) {
    const layer = `model.layers.${i}`;
    shapes.set(`${layer}.input_layernorm.weight`, [dim]);
    const projection = (name: string, outFeatures: number, inFeatures: number, bias: boolean) => {
      shapes.set(`${layer}.${name}.weight`, [outFeatures, inFeatures]);
      if (bias) shapes.set(`${layer}.${name}.bias`, [outFeatures]);
    };
    projection('self_attn.q_proj', nHeads * headDim, dim, config.qkvBias);
    projection('self_attn.k_proj', nKvHeads * headDim, dim, config.qkvBias);
    projection('self_attn.v_proj', nKvHeads * headDim, dim, config.qkvBias);
    projection('self_attn.o_proj', dim, nHeads * headDim, config.attentionOutputBias);
    shapes.set(`${layer}.post_attention_layernorm.weight`, [dim]);
    projection('mlp.gate_proj', hiddenDim, dim, config.mlpBias);
    projection('mlp.up_proj', hiddenDim, dim, config.mlpBias);
    projection('mlp.down_proj', dim, hiddenDim, config.mlpBias);
  }
  shapes.set('model.norm.weight', [dim]);
  if (!tieEmbeddings) shapes.set('lm_head.weight', [vocabSize, dim]);
  return shapes;
}

/** A tensor's shape, and its values where they are known (a file's header gives the shape alone). */
export interface TensorShape {
  shape: readonly number[];
  data?: { length: number };
}

/**
 * What is wrong with a set of tensors for this config, or undefined when each expected tensor is there with
 * its shape and as many values as the shape needs, and nothing else is (except names `isHarmlessExtra` allows).
 * Callers wrap the answer in their own error: a WeightFileError for a file, a plain Error for a writer.
 */
export function findTensorShapeProblem(
  tensors: ReadonlyMap<string, TensorShape>,
  config: LlamaConfig,
  isHarmlessExtra: (name: string) => boolean = () => false,
): string | undefined {
  const expected = expectedTensorShapes(config);
  const missing = [...expected].filter(([name]) => !tensors.has(name));
  const unexpected = [...tensors.keys()].filter((name) => !expected.has(name) && !isHarmlessExtra(name));
  if (missing.length > 0) {
    // Listing the extras too makes a naming mismatch (another model family, another prefix) obvious.
    const extras = unexpected.length > 0 ? `; found unexpected ${listNames(unexpected)}` : '';
    const names = missing.map(([name, shape]) => `"${name}" ${formatShape(shape)}`);
    return `missing ${missing.length === 1 ? 'tensor' : `${missing.length} tensors`} ${listFirst(names)}${extras}`;
  }
  for (const [name, shape] of expected) {
    const tensor = tensors.get(name)!;
    if (!sameShape(tensor.shape, shape)) {
      return `tensor "${name}" has shape ${formatShape(tensor.shape)}, expected ${formatShape(shape)}`;
    }
    const count = shape.reduce((product, size) => product * size, 1);
    if (tensor.data !== undefined && tensor.data.length !== count) {
      return `tensor "${name}" has ${tensor.data.length} values, its shape ${formatShape(shape)} needs ${count}`;
    }
  }
  if (unexpected.length > 0) {
    return `unexpected ${unexpected.length === 1 ? 'tensor' : `${unexpected.length} tensors`} ${listNames(unexpected)} (not part of a Llama model with this config)`;
  }
  return undefined;
}

/**
 * A multipleOf consistent with a hidden width read from a file (neither HF nor llama2.c stores it): the largest
 * power of two up to 256 for which llama2.c's rule gives this width again, else the largest that divides it.
 * The width itself always stays explicit in the config, so this value is informational.
 */
export function multipleOfFromHiddenDim(dim: number, hiddenDim: number): number {
  for (let multipleOf = 256; multipleOf >= 1; multipleOf /= 2) {
    if (swiGluHiddenDim(dim, multipleOf) === hiddenDim) return multipleOf;
  }
  let multipleOf = 256;
  while (multipleOf > 1 && hiddenDim % multipleOf !== 0) multipleOf /= 2;
  return multipleOf;
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

function listNames(names: string[]): string {
  return listFirst(names.map((name) => `"${name}"`));
}

function listFirst(items: string[], limit = 3): string {
  const shown = items.slice(0, limit).join(', ');
  return items.length > limit ? `${shown}, ... (${items.length - limit} more)` : shown;
}
