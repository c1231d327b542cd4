/**
 * llama2.c checkpoint files (Karpathy, llama2.c export.py), both float32:
 * - version 0, `legacy_export`: 7 int32 params, the weights grouped by kind (all layers' wq, then all wk, ...),
 *   the RoPE tables, and the classifier last when a negative vocab_size says it is not shared;
 * - version 1, `version1_export`: a 256-byte header (magic "ak42", version, the params, a shared-classifier
 *   flag), norms first, then the matrices, the classifier last when not shared.
 * Both hold weights as PyTorch [out, in] with the interleaved rotary layout, so names map one to one:
 * wq/wk/wv/wo = q/k/v/o_proj, w1 = gate_proj, w2 = down_proj, w3 = up_proj, rms_att = input_layernorm,
 * rms_ffn = post_attention_layernorm. Neither stores multipleOf, normEps or ropeTheta: run.c hard-codes
 * RMSNorm's 1e-5 and RoPE's 10000.
 */
import { type LlamaConfig, LlamaConfigError, plainLlamaProblem, validateConfig } from './config.js';
import {
  expectedTensorShapes,
  findTensorShapeProblem,
  multipleOfFromHiddenDim,
} from './expected-tensor-shapes.js';
import { type StateDict, WeightFileError } from './state-dict.js';

export type Llama2cVersion = 0 | 1;

export interface Llama2cFile {
  config: LlamaConfig;
  stateDict: StateDict;
  version: Llama2cVersion;
}

const MAGIC = 0x616b3432; // "ak42" in ASCII, written as a little-endian uint32
const V0_HEADER_BYTES = 7 * 4;
const V1_HEADER_BYTES = 256;
const SHARED_FLAG_OFFSET = 4 + 4 + 7 * 4; // after magic, version and the params
const NORM_EPS = 1e-5; // run.c rmsnorm: ss += 1e-5f
const ROPE_THETA = 10000; // run.c: powf(10000.0f, head_dim / (float)head_size)

// The v0 RoPE tables, which run.c skips and recomputes: placeholders in the file layout, not StateDict names.
const FREQ_COS = 'freq_cis_real';
const FREQ_SIN = 'freq_cis_imag';

// llama2.c's name for each header field, to name them in errors.
const HEADER_NAME: Record<string, string> = {
  dim: 'dim',
  hiddenDim: 'hidden_dim',
  nLayers: 'n_layers',
  nHeads: 'n_heads',
  nKvHeads: 'n_kv_heads',
  vocabSize: 'vocab_size',
  maxSeqLen: 'max_seq_len',
};

/** Reads a llama2.c .bin of either version, told apart by the magic number that only version 1 has. */
export function parseLlama2c(bytes: Uint8Array, fileName: string): Llama2cFile {
  const fail = (problem: string) => new WeightFileError(fileName, problem);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hasMagic = bytes.length >= 4 && view.getUint32(0, true) === MAGIC;
  const version: Llama2cVersion = hasMagic ? 1 : 0;
  const headerBytes = hasMagic ? V1_HEADER_BYTES : V0_HEADER_BYTES;
  if (bytes.length < headerBytes) {
    throw fail(
      `file is ${bytes.length} bytes, too short for the ${headerBytes}-byte header of a llama2.c ` +
        (hasMagic ? 'version-1 file' : 'file'),
    );
  }

  const paramsOffset = hasMagic ? 8 : 0;
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabField, maxSeqLen] = Array.from(
    { length: 7 },
    (_, i) => view.getInt32(paramsOffset + 4 * i, true),
  ) as [number, number, number, number, number, number, number];
  let vocabSize = vocabField;
  let sharedClassifier: boolean;
  if (hasMagic) {
    const fileVersion = view.getInt32(4, true);
    if (fileVersion !== 1) {
      const hint = fileVersion === 2 ? ' (version 2 is the int8-quantized export)' : '';
      throw fail(
        `has the llama2.c magic "ak42" but version ${fileVersion}${hint}; only version 1 is supported`,
      );
    }
    const flag = bytes[SHARED_FLAG_OFFSET]!;
    if (flag > 1) throw fail(`header: shared_classifier flag must be 0 or 1, got ${flag}`);
    sharedClassifier = flag === 1;
  } else {
    sharedClassifier = vocabField > 0; // legacy_export negates vocab_size for an unshared classifier
    vocabSize = Math.abs(vocabField);
  }

  if (nHeads > 0 && dim % nHeads !== 0)
    throw fail(`header: dim ${dim} is not divisible by n_heads ${nHeads}`);
  const config: LlamaConfig = {
    dim,
    hiddenDim,
    multipleOf: 1, // set below, once the config is known to be valid
    nLayers,
    nHeads,
    nKvHeads,
    headDim: nHeads > 0 ? dim / nHeads : 0, // a zero n_heads is refused below, by name
    vocabSize,
    maxSeqLen,
    normEps: NORM_EPS,
    ropeTheta: ROPE_THETA,
    tieEmbeddings: sharedClassifier,
    ropeScaling: null,
    qkvBias: false,
    attentionOutputBias: false,
    mlpBias: false,
    slidingWindow: null,
  };
  try {
    validateConfig(config);
  } catch (error) {
    if (!(error instanceof LlamaConfigError)) throw error;
    const message = error.message.replace(
      /config\.(\w+)/g,
      (field, key: string) => HEADER_NAME[key] ?? field,
    );
    throw fail(`header: ${message}`);
  }
  config.multipleOf = multipleOfFromHiddenDim(dim, hiddenDim);

  // The layout's size is affine in the layer count: measure it on one and two layers, so a header that claims
  // billions of layers is refused by arithmetic, before a layout of that length is built.
  const one = sumOfSizes(fileLayout({ ...config, nLayers: 1 }, version));
  const perLayer = sumOfSizes(fileLayout({ ...config, nLayers: 2 }, version)) - one;
  const expectedBytes = headerBytes + 4 * (one + (config.nLayers - 1) * perLayer);
  if (bytes.length !== expectedBytes) {
    const difference =
      bytes.length < expectedBytes ? 'truncated' : `has ${bytes.length - expectedBytes} extra bytes`;
    throw fail(`${difference}: the header implies ${expectedBytes} bytes, the file has ${bytes.length}`);
  }

  const layout = fileLayout(config, version);
  // Float32Array needs 4-byte alignment; copy once when the caller's bytes start unaligned.
  const start = bytes.byteOffset + headerBytes;
  const floats =
    start % 4 === 0
      ? new Float32Array(bytes.buffer, start, (bytes.length - headerBytes) / 4)
      : new Float32Array(bytes.slice(headerBytes).buffer);
  const read = new Map<string, Float32Array>();
  let position = 0;
  for (const [name, shape] of layout) {
    const size = sizeOf(shape);
    // A copy the StateDict owns; the v0 RoPE tables are skipped, as run.c does (they follow from the config).
    if (name !== FREQ_COS && name !== FREQ_SIN) read.set(name, floats.slice(position, position + size));
    position += size;
  }
  const stateDict: StateDict = new Map();
  for (const [name, shape] of expectedTensorShapes(config)) {
    stateDict.set(name, { shape: [...shape], data: read.get(name)! });
  }
  return { config, stateDict, version };
}

/** Writes a llama2.c .bin as export.py does: version 0 (legacy_export) or 1 (version1_export). */
export function serializeLlama2c(
  stateDict: StateDict,
  config: LlamaConfig,
  version: Llama2cVersion,
): Uint8Array {
  validateConfig(config);
  if (version !== 0 && version !== 1) {
    throw new Error(`serializeLlama2c: version must be 0 or 1, got ${String(version)}`);
  }
  // Values run.c assumes and the file cannot carry: writing others would change the model without a word.
  if (config.normEps !== NORM_EPS) {
    throw new Error(
      `serializeLlama2c: llama2.c files cannot store normEps ${config.normEps} (run.c uses 1e-5)`,
    );
  }
  if (config.ropeTheta !== ROPE_THETA) {
    throw new Error(
      `serializeLlama2c: llama2.c files cannot store ropeTheta ${config.ropeTheta} (run.c uses 10000)`,
    );
  }
  const unsupported = plainLlamaProblem(config);
  if (unsupported) throw new Error(`serializeLlama2c: llama2.c files cannot hold ${unsupported}`);
  const problem = findTensorShapeProblem(stateDict, config);
  if (problem) throw new Error(`serializeLlama2c: ${problem}`);

  const layout = fileLayout(config, version);
  const headerBytes = version === 1 ? V1_HEADER_BYTES : V0_HEADER_BYTES;
  const out = new Uint8Array(headerBytes + 4 * sumOfSizes(layout)); // the v1 padding stays zero
  const view = new DataView(out.buffer);
  const { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, maxSeqLen, tieEmbeddings } = config;
  const params = [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, maxSeqLen];
  if (version === 1) {
    view.setUint32(0, MAGIC, true);
    view.setInt32(4, 1, true);
    view.setUint8(SHARED_FLAG_OFFSET, tieEmbeddings ? 1 : 0);
  } else if (!tieEmbeddings) {
    params[5] = -vocabSize; // legacy_export's flag for an unshared classifier
  }
  const paramsOffset = version === 1 ? 8 : 0;
  for (const [i, value] of params.entries()) view.setInt32(paramsOffset + 4 * i, value, true);

  const [freqCos, freqSin] = ropeTables(dim / nHeads, maxSeqLen);
  const floats = new Float32Array(out.buffer, headerBytes);
  let position = 0;
  for (const [name] of layout) {
    const data = name === FREQ_COS ? freqCos : name === FREQ_SIN ? freqSin : stateDict.get(name)!.data;
    floats.set(data, position);
    position += data.length;
  }
  return out;
}

/** Name and shape of every float32 block, in file order. */
function fileLayout(config: LlamaConfig, version: Llama2cVersion): [string, number[]][] {
  const shapes = expectedTensorShapes(config);
  const allLayers = (suffix: string) =>
    Array.from({ length: config.nLayers }, (_, i) => `model.layers.${i}.${suffix}`);
  const rmsAtt = allLayers('input_layernorm.weight');
  const rmsFfn = allLayers('post_attention_layernorm.weight');
  const matrices = [
    ...allLayers('self_attn.q_proj.weight'), // wq
    ...allLayers('self_attn.k_proj.weight'), // wk
    ...allLayers('self_attn.v_proj.weight'), // wv
    ...allLayers('self_attn.o_proj.weight'), // wo
  ];
  const feedForward = [
    ...allLayers('mlp.gate_proj.weight'), // w1
    ...allLayers('mlp.down_proj.weight'), // w2
    ...allLayers('mlp.up_proj.weight'), // w3
  ];
  const classifier = config.tieEmbeddings ? [] : ['lm_head.weight'];
  const names =
    version === 0
      ? [
          'model.embed_tokens.weight',
          ...rmsAtt,
          ...matrices,
          ...rmsFfn,
          ...feedForward,
          'model.norm.weight',
          FREQ_COS,
          FREQ_SIN,
          ...classifier,
        ]
      : [
          ...rmsAtt,
          ...rmsFfn,
          'model.norm.weight',
          'model.embed_tokens.weight',
          ...matrices,
          ...feedForward,
          ...classifier,
        ];
  const ropeShape = [config.maxSeqLen, config.dim / config.nHeads / 2];
  return names.map((name) => [name, name === FREQ_COS || name === FREQ_SIN ? ropeShape : shapes.get(name)!]);
}

/**
 * The v0 RoPE tables [maxSeqLen, headDim/2] as llama2.c's model.py precompute_freqs_cis computes them, each
 * step rounded to float32 as torch does: freqs = 1 / 10000^(arange(0, hd, 2) / hd), cos and sin of
 * outer(t, freqs). run.c ignores them, but other readers of the legacy format use them.
 */
function ropeTables(headDim: number, maxSeqLen: number): [Float32Array, Float32Array] {
  const half = headDim / 2;
  const cos = new Float32Array(maxSeqLen * half); // [maxSeqLen, headDim/2]
  const sin = new Float32Array(maxSeqLen * half);
  for (let i = 0; i < half; i++) {
    const exponent = Math.fround((2 * i) / headDim);
    const freq = Math.fround(1 / Math.fround(ROPE_THETA ** exponent));
    for (let t = 0; t < maxSeqLen; t++) {
      const angle = Math.fround(t * freq);
      cos[t * half + i] = Math.cos(angle);
      sin[t * half + i] = Math.sin(angle);
    }
  }
  return [cos, sin];
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

function sumOfSizes(layout: [string, number[]][]): number {
  return layout.reduce((total, [, shape]) => total + sizeOf(shape), 0);
}
