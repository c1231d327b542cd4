/**
 * HF transformers' Llama-family weights: the q/k row permutation between HF's rotate-half RoPE and the
 * interleaved layout of our StateDict, and the sharded-checkpoint index. Tensor names are already HF's (see
 * ./state-dict.ts), so the only weight change is that permutation. The config.json side is ./hf-config.ts.
 */

import type { LlamaConfig } from './config.js';
import { validateConfig } from './config.js';
import { expectedTensorShapes, findTensorShapeProblem, type TensorShape } from './expected-tensor-shapes.js';
import { isRecord } from './json-record.js';
import { type NamedTensor, type StateDict, WeightFileError } from './state-dict.js';

const EMBED_TOKENS = 'model.embed_tokens.weight';
const LM_HEAD = 'lm_head.weight';

// Older transformers saved the rotary inverse frequencies as a buffer; they are recomputed from the config.
const HARMLESS_EXTRA = /^model\.(layers\.\d+\.self_attn\.)?rotary_emb\.inv_freq$/;
/** A sharded checkpoint's model.safetensors.index.json. */
export interface ShardIndex {
  metadata: Record<string, unknown>; // e.g. {total_size}
  weightMap: Map<string, string>; // tensor name → shard file name
  shardFiles: string[]; // each shard once, sorted (model-00001-of-00002.safetensors, ...)
}
/**
 * Interleaved (Meta, llama2.c) q/k rows → HF's rotate-half order, on a row-major [rows, cols] matrix. Mirrors
 * `permute` in transformers' convert_llama_weights_to_hf.py:
 *   w.view(n_heads, dim1 // n_heads // 2, 2, dim2).transpose(1, 2).reshape(dim1, dim2)
 * so within each head the even rows (first of each rotated pair) come first, then the odd rows.
 * q_proj uses nHeads, k_proj nKvHeads.
 */
export function permuteForHf(weight: Float32Array, nHeads: number, rows: number, cols: number): Float32Array {
  return moveRotaryRows(weight, nHeads, rows, cols, 'toHf');
}

/** The inverse of `permuteForHf`: HF's rotate-half q/k rows → interleaved pairs. */
export function unpermuteFromHf(
  weight: Float32Array,
  nHeads: number,
  rows: number,
  cols: number,
): Float32Array {
  return moveRotaryRows(weight, nHeads, rows, cols, 'fromHf');
}

/**
 * Our StateDict from the tensors of a HF Llama checkpoint (all shards merged): checks that each expected
 * tensor is there with its shape and nothing unknown is, and unpermutes q_proj / k_proj. Other tensors are
 * passed through, sharing their data with `tensors`.
 */
export function stateDictFromHfTensors(
  tensors: ReadonlyMap<string, NamedTensor>,
  config: LlamaConfig,
  fileName: string,
): StateDict {
  const head = tensors.get(LM_HEAD);
  const embedding = tensors.get(EMBED_TOKENS);
  if (config.tieEmbeddings && head && embedding) checkTiedHead(head.data, embedding.data, fileName);
  checkHfTensorShapes(tensors, config, fileName);
  const stateDict: StateDict = new Map();
  for (const name of expectedTensorShapes(config).keys()) {
    stateDict.set(name, tensorFromHf(name, tensors.get(name)!, config)!);
  }
  return stateDict;
}

/**
 * The checks a HF checkpoint's tensors pass before any value is used (a header's shapes suffice): each expected
 * tensor there with its shape, nothing unknown (rotary inv_freq buffers excepted). With tied embeddings an
 * `lm_head.weight` copy may be there too; `checkTiedHead` compares its values.
 */
export function checkHfTensorShapes(
  tensors: ReadonlyMap<string, TensorShape>,
  config: LlamaConfig,
  fileName: string,
): void {
  let source = tensors;
  if (config.tieEmbeddings && tensors.has(LM_HEAD)) {
    const withoutHead = new Map(tensors);
    withoutHead.delete(LM_HEAD);
    source = withoutHead;
  }
  const problem = findTensorShapeProblem(source, config, (name) => HARMLESS_EXTRA.test(name));
  if (problem) throw new WeightFileError(fileName, problem);
}

/**
 * A checkpoint written from a plain PyTorch state_dict keeps a tied head as its own copy: fine when it is the
 * embedding, a contradiction of the config when it is not.
 */
export function checkTiedHead(head: Float32Array, embedding: Float32Array, fileName: string): void {
  if (!sameValues(head, embedding)) {
    throw new WeightFileError(
      fileName,
      `${LM_HEAD} differs from ${EMBED_TOKENS}, but tie_word_embeddings is true in the config`,
    );
  }
}

/** Names of the tensors a tied head is compared between, for readers that stream tensors one at a time. */
export const TIED_HEAD = { head: LM_HEAD, embedding: EMBED_TOKENS } as const;

/**
 * One HF tensor as ours (shapes already checked): q_proj / k_proj rows unpermuted, others as they are; null for
 * a tensor the model does not keep (a rotary inv_freq buffer, a tied head's copy).
 */
export function tensorFromHf(name: string, tensor: NamedTensor, config: LlamaConfig): NamedTensor | null {
  if (HARMLESS_EXTRA.test(name) || (name === LM_HEAD && config.tieEmbeddings)) return null;
  const heads = rotaryHeads(name, config);
  if (heads === undefined) return tensor;
  const [rows, cols = 1] = tensor.shape as [number, number?];
  return { shape: [...tensor.shape], data: unpermuteFromHf(tensor.data, heads, rows, cols) };
}

/** HF checkpoint tensors from our StateDict: q_proj / k_proj permuted; no lm_head.weight when tied. */
export function hfTensorsFromStateDict(stateDict: StateDict, config: LlamaConfig): Map<string, NamedTensor> {
  validateConfig(config);
  const problem = findTensorShapeProblem(stateDict, config);
  if (problem) throw new Error(`hfTensorsFromStateDict: ${problem}`);
  const tensors = new Map<string, NamedTensor>();
  for (const [name, shape] of expectedTensorShapes(config)) {
    const { data } = stateDict.get(name)!;
    const heads = rotaryHeads(name, config);
    const [rows, cols = 1] = shape as [number, number?];
    tensors.set(name, {
      shape: [...shape],
      data: heads === undefined ? data : permuteForHf(data, heads, rows, cols),
    });
  }
  return tensors;
}

/** Validates a model.safetensors.index.json (`{metadata, weight_map}`) and lists its shards. */
export function parseShardIndex(json: unknown, fileName: string): ShardIndex {
  const fail = (problem: string) => new WeightFileError(fileName, problem);
  if (!isRecord(json)) throw fail('index is not a JSON object');
  const metadata = json.metadata ?? {};
  if (!isRecord(metadata)) throw fail(`"metadata" must be an object, got ${JSON.stringify(metadata)}`);
  const weightMap = json.weight_map;
  if (!isRecord(weightMap))
    throw fail('"weight_map" is missing or not an object of tensor name → shard file');

  const map = new Map<string, string>();
  for (const [name, file] of Object.entries(weightMap)) {
    if (typeof file !== 'string' || file === '') {
      throw fail(`weight_map."${name}" must be a shard file name, got ${JSON.stringify(file)}`);
    }
    // Shards sit beside the index; a path here could make a loader read any file.
    if (/[/\\]/.test(file) || file === '.' || file === '..') {
      throw fail(`weight_map."${name}" names "${file}", which is not a plain file name beside the index`);
    }
    map.set(name, file);
  }
  if (map.size === 0) throw fail('"weight_map" is empty');
  return { metadata: { ...metadata }, weightMap: map, shardFiles: [...new Set(map.values())].sort() };
}

/**
 * Moves whole rows: within each head, interleaved row 2i + j ↔ HF row j · headDim/2 + i (j = 0, 1), i.e.
 * [nHeads, headDim/2, 2, cols] ↔ [nHeads, 2, headDim/2, cols].
 */
function moveRotaryRows(
  weight: Float32Array,
  nHeads: number,
  rows: number,
  cols: number,
  direction: 'toHf' | 'fromHf',
): Float32Array {
  const operation = direction === 'toHf' ? 'permuteForHf' : 'unpermuteFromHf';
  if (!Number.isInteger(nHeads) || nHeads <= 0 || rows % (2 * nHeads) !== 0) {
    throw new Error(`${operation}: rows ${rows} must split into ${nHeads} heads of an even size`);
  }
  if (weight.length !== rows * cols) {
    throw new Error(`${operation}: weight has ${weight.length} values, expected rows ${rows} × cols ${cols}`);
  }
  const headDim = rows / nHeads;
  const half = headDim / 2;
  const out = new Float32Array(weight.length);
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const interleavedRow = h * headDim + 2 * i + j;
        const hfRow = h * headDim + j * half + i;
        const [from, to] = direction === 'toHf' ? [interleavedRow, hfRow] : [hfRow, interleavedRow];
        out.set(weight.subarray(from * cols, (from + 1) * cols), to * cols);
      }
    }
  }
  return out;
}

/**
 * How many heads a tensor's rows are split into for RoPE: q_proj nHeads, k_proj nKvHeads (weights and biases,
 * whose entries are rows of one column), others none.
 */
function rotaryHeads(name: string, config: LlamaConfig): number | undefined {
  if (/\.self_attn\.q_proj\.(weight|bias)$/.test(name)) return config.nHeads;
  if (/\.self_attn\.k_proj\.(weight|bias)$/.test(name)) return config.nKvHeads;
  return undefined;
}
/** Bitwise equality: a tied head saved as its own copy is bit-identical to the embedding (NaN included). */
function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const aBits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const bBits = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < aBits.length; i++) if (aBits[i] !== bBits[i]) return false;
  return true;
}
