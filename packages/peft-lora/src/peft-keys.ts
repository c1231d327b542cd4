/**
 * HF PEFT's tensor names and layouts, and the one place where they meet ours.
 *
 * In memory (PEFT's `named_parameters()`, and our `trainableParameters()`) names carry the adapter's name:
 *   base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight
 *   base_model.model.score.modules_to_save.default.weight
 * In adapter_model.safetensors (`get_peft_model_state_dict`) the adapter name is removed, and a module to save
 * loses its `modules_to_save.<adapter>` part, so it is saved under the module's own name:
 *   base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight   [r, in]
 *   base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight   [out, r]
 *   base_model.model.score.weight                                    [numLabels, dim]
 * The prefix is the same for LlamaForCausalLM and LlamaForSequenceClassification: PeftModel.base_model is
 * the LoraModel, whose `model` is the transformers model, whose decoder is again `model`.
 *
 * Our Linear stores [in, out], so A is kept as [in, r] and B as [r, out] (the transposes of PEFT's). And HF
 * checkpoints store q_proj / k_proj rows in the rotate-half order while our state dict keeps Meta's
 * interleaved order (see @mini-llama/formats' hf-llama.ts): ΔW = B·A has B's rows as its rows, so the file's
 * lora_B of q_proj / k_proj has its rows permuted exactly as the base weight's are (A is untouched).
 */

import { permuteForHf, unpermuteFromHf } from '@mini-llama/formats';
import { transpose2d } from '@mini-llama/model';

export const PEFT_PREFIX = 'base_model.model.';

/** The file key of a LoRA matrix: base_model.model.<path>.lora_A.weight */
export function loraKey(modulePath: string, matrix: 'A' | 'B'): string {
  return `${PEFT_PREFIX}${modulePath}.lora_${matrix}.weight`;
}

/** The in-memory (trainable parameter) name of a LoRA matrix, with the adapter's name. */
export function loraParameterName(modulePath: string, matrix: 'A' | 'B', adapter: string): string {
  return `${PEFT_PREFIX}${modulePath}.lora_${matrix}.${adapter}.weight`;
}

/** The file key of a module to save: base_model.model.score.weight */
export function savedModuleKey(module: string): string {
  return `${PEFT_PREFIX}${module}.weight`;
}

/** The in-memory name of an adapter's copy of a module to save. */
export function savedModuleParameterName(module: string, adapter: string): string {
  return `${PEFT_PREFIX}${module}.modules_to_save.${adapter}.weight`;
}

/** A: ours [in, r] → PEFT's [r, in]. */
export function loraAToPeft(values: Float32Array, inFeatures: number, rank: number): Float32Array {
  return transpose2d(values, inFeatures, rank);
}

/** A: PEFT's [r, in] → ours [in, r]. */
export function loraAFromPeft(values: Float32Array, inFeatures: number, rank: number): Float32Array {
  return transpose2d(values, rank, inFeatures);
}

/** B: ours [r, out] → PEFT's [out, r], rows in HF's rotate-half order for q_proj / k_proj. */
export function loraBToPeft(
  values: Float32Array,
  rank: number,
  outFeatures: number,
  rotaryHeads: number | null,
): Float32Array {
  const rows = transpose2d(values, rank, outFeatures); // [out, r]
  return rotaryHeads === null ? rows : permuteForHf(rows, rotaryHeads, outFeatures, rank);
}

/** B: PEFT's [out, r] → ours [r, out]. */
export function loraBFromPeft(
  values: Float32Array,
  rank: number,
  outFeatures: number,
  rotaryHeads: number | null,
): Float32Array {
  const rows = rotaryHeads === null ? values : unpermuteFromHf(values, rotaryHeads, outFeatures, rank);
  return transpose2d(rows, outFeatures, rank);
}
