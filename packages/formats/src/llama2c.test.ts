import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type LlamaConfig, resolveConfig } from './config.js';
import { parseLlama2c, serializeLlama2c } from './llama2c.js';
import { WeightFileError } from './state-dict.js';
import { formulaStateDict } from './test-helpers.js';

const FILE = 'stories.bin';

// dim 8, 2 layers, 2 heads, 1 kv head (head size 4), vocab 5, hidden 12, max_seq_len 4
function tinyConfig(tieEmbeddings: boolean): LlamaConfig {
  return resolveConfig({
    dim: 8,
    nLayers: 2,
    nHeads: 2,
    nKvHeads: 1,
    vocabSize: 5,
    maxSeqLen: 4,
    hiddenDim: 12,
    multipleOf: 4,
    tieEmbeddings,
  });
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function expectError(bytes: Uint8Array, message: RegExp): void {
  let caught: unknown;
  try {
    parseLlama2c(bytes, FILE);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(WeightFileError);
  expect((caught as Error).message).toMatch(message);
}

describe('serializeLlama2c', () => {
  // The same tiny model exported in the layouts of karpathy/llama2.c export.py's legacy_export (v0) and
  // version1_export (v1) by test/reference/llama2c_ref.py over a torch model holding the formula weights above, with
  // model.py's precompute_freqs_cis for the v0 RoPE tables (PyTorch 1.13): sha256 of each file. For v0 the
  // hash leaves out the RoPE tables (bytes [4188, 4252)), which are checked to an ulp below: torch's float32
  // cos(1) is one ulp off the correctly rounded value that Math.cos gives.
  const golden: [string, boolean, 0 | 1, number, string][] = [
    ['v0 tied', true, 0, 4252, '348df0dcc42f7ce18b45917a4bd2170b917ef25cc8a2d4b8ef329ab6ec202188'],
    ['v0 untied', false, 0, 4412, '63c53efb46cbcaba3f233966f62190cf6eeeeba0b41333a5c5824773c75e8fb0'],
    ['v1 tied', true, 1, 4416, '35e66bacffedb3ab938391d4efc546dd8f32766522ebb0348cd6a67d3206a085'],
    ['v1 untied', false, 1, 4576, '8b272ed8e6bc406e905c43a3f7162a951101857f61dc06abff73a4bb3233b673'],
  ];

  it.each(golden)('writes the bytes of export.py (%s)', (_, tied, version, length, hash) => {
    const config = tinyConfig(tied);
    const bytes = serializeLlama2c(formulaStateDict(config), config, version);
    expect(bytes.length).toBe(length);
    const withoutTables =
      version === 0 ? new Uint8Array([...bytes.subarray(0, 4188), ...bytes.subarray(4252)]) : bytes;
    expect(sha256(withoutTables)).toBe(hash);
  });

  it('writes the v0 RoPE tables of model.py (cos, then sin, [max_seq_len, head_size / 2])', () => {
    const config = tinyConfig(true);
    const bytes = serializeLlama2c(formulaStateDict(config), config, 0);
    // precompute_freqs_cis(4, 4) in PyTorch 1.13: .flatten().tolist()
    const cos = [1.0, 1.0, 0.5403023362159729, 0.9999499917030334, -0.416146844625473, 0.9998000264167786];
    const sin = [
      0.0, 0.0, 0.8414709568023682, 0.009999833069741726, 0.9092974066734314, 0.019998665899038315,
    ];
    const tables = new Float32Array(bytes.buffer.slice(4188, 4252));
    const ulp = 2 ** -24; // float32 spacing just below 1
    for (const [i, value] of cos.entries()) expect(Math.abs(tables[i]! - value)).toBeLessThanOrEqual(ulp);
    for (const [i, value] of sin.entries()) expect(Math.abs(tables[8 + i]! - value)).toBeLessThanOrEqual(ulp);
  });

  it('refuses settings that a llama2.c file cannot carry', () => {
    const config = { ...tinyConfig(true), normEps: 1e-6 };
    expect(() => serializeLlama2c(formulaStateDict(config), config, 1)).toThrow(
      /serializeLlama2c: llama2\.c files cannot store normEps 0\.000001 \(run\.c uses 1e-5\)/,
    );
    const theta = { ...tinyConfig(true), ropeTheta: 500000 };
    expect(() => serializeLlama2c(formulaStateDict(theta), theta, 0)).toThrow(
      /cannot store ropeTheta 500000/,
    );
  });

  it('refuses an incomplete state dict', () => {
    const config = tinyConfig(false);
    const stateDict = formulaStateDict(config);
    stateDict.delete('lm_head.weight');
    expect(() => serializeLlama2c(stateDict, config, 0)).toThrow(
      /serializeLlama2c: missing tensor "lm_head\.weight" \[5, 8\]/,
    );
  });
});

describe('parseLlama2c', () => {
  it.each([
    [0, true],
    [0, false],
    [1, true],
    [1, false],
  ] as const)('round-trips version %i (tied: %s)', (version, tied) => {
    const config = tinyConfig(tied);
    const stateDict = formulaStateDict(config);
    const parsed = parseLlama2c(serializeLlama2c(stateDict, config, version), FILE);
    expect(parsed.version).toBe(version);
    expect(parsed.config).toEqual(config);
    expect([...parsed.stateDict.keys()]).toEqual([...stateDict.keys()]);
    for (const [name, tensor] of stateDict) {
      expect(parsed.stateDict.get(name)!.shape).toEqual(tensor.shape);
      expect(Array.from(parsed.stateDict.get(name)!.data)).toEqual(Array.from(tensor.data));
    }
  });

  it('reads the v0 header: a negative vocab_size means an unshared classifier', () => {
    const config = tinyConfig(false);
    const bytes = serializeLlama2c(formulaStateDict(config), config, 0);
    expect(Array.from(new Int32Array(bytes.buffer, 0, 7))).toEqual([8, 12, 2, 2, 1, -5, 4]);
    expect(parseLlama2c(bytes, FILE).config.tieEmbeddings).toBe(false);
  });

  it('reads the v1 header: magic, version, params, shared flag, zero padding to 256 bytes', () => {
    const config = tinyConfig(true);
    const bytes = serializeLlama2c(formulaStateDict(config), config, 1);
    const view = new DataView(bytes.buffer);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('24ka'); // 0x616b3432, little-endian
    expect(view.getInt32(4, true)).toBe(1);
    expect(Array.from(new Int32Array(bytes.buffer, 8, 7))).toEqual([8, 12, 2, 2, 1, 5, 4]);
    expect(bytes[36]).toBe(1);
    expect(bytes.subarray(37, 256).every((byte) => byte === 0)).toBe(true);
    // The first weight is layer 0's attention norm, the 2nd tensor of the formula (k = 1).
    expect(view.getFloat32(256, true)).toBe((11 - 50) / 64);
  });

  it('reads from an unaligned view of a larger buffer', () => {
    const config = tinyConfig(true);
    const bytes = serializeLlama2c(formulaStateDict(config), config, 0);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const parsed = parseLlama2c(shifted.subarray(1), FILE);
    expect(Array.from(parsed.stateDict.get('model.norm.weight')!.data)).toEqual(
      Array.from(formulaStateDict(config).get('model.norm.weight')!.data),
    );
  });

  it('rejects a file too short for the header', () => {
    expectError(new Uint8Array(20), /^stories\.bin: file is 20 bytes, too short for the 28-byte header/);
    const magicOnly = new Uint8Array(100);
    new DataView(magicOnly.buffer).setUint32(0, 0x616b3432, true);
    expectError(
      magicOnly,
      /file is 100 bytes, too short for the 256-byte header of a llama2\.c version-1 file/,
    );
  });

  it('rejects nonsense header values, in llama2.c names', () => {
    const header = (values: number[]) => new Uint8Array(new Int32Array(values).buffer);
    expectError(header([8, 12, 2, 0, 1, 5, 4]), /header: n_heads must be a positive integer, got 0/);
    expectError(header([10, 12, 2, 3, 3, 5, 4]), /header: dim 10 is not divisible by n_heads 3/);
    expectError(header([8, 12, 2, 2, 1, 0, 4]), /header: vocab_size must be a positive integer, got 0/);
  });

  it('refuses a header that claims an absurd size before sizing anything by it', () => {
    // a 1 MB file whose header says 2³¹ − 1 layers: refused by the limits, then by arithmetic alone
    const bytes = new Uint8Array(1 << 20);
    new Int32Array(bytes.buffer, 0, 7).set([8, 12, 2 ** 31 - 1, 2, 1, 5, 4]);
    expectError(bytes, /header: n_layers 2147483647 is more than 4,096: no model this library can hold/);
    new Int32Array(bytes.buffer, 0, 7).set([64, 172, 4000, 8, 4, 32000, 512]);
    expectError(bytes, /truncated: the header implies \d+ bytes, the file has 1048576/);
  });

  it('rejects a file shorter or longer than its header implies', () => {
    const config = tinyConfig(true);
    const bytes = serializeLlama2c(formulaStateDict(config), config, 0);
    expectError(
      bytes.subarray(0, bytes.length - 4),
      /truncated: the header implies 4252 bytes, the file has 4248/,
    );
    const longer = new Uint8Array(bytes.length + 8);
    longer.set(bytes);
    expectError(longer, /has 8 extra bytes: the header implies 4252 bytes, the file has 4260/);
  });

  it('reads an untied v0 file as tied when its header lies about the classifier: then the size is off', () => {
    const config = tinyConfig(false);
    const bytes = serializeLlama2c(formulaStateDict(config), config, 0);
    new DataView(bytes.buffer).setInt32(20, 5, true); // vocab_size positive: "shared"
    expectError(bytes, /has 160 extra bytes/);
  });

  it('rejects an unknown version after the magic, and a bad shared flag', () => {
    const config = tinyConfig(true);
    const bytes = serializeLlama2c(formulaStateDict(config), config, 1);
    const view = new DataView(bytes.buffer);
    view.setInt32(4, 2, true);
    expectError(
      bytes,
      /has the llama2\.c magic "ak42" but version 2 \(version 2 is the int8-quantized export\)/,
    );
    view.setInt32(4, 1, true);
    bytes[36] = 7;
    expectError(bytes, /header: shared_classifier flag must be 0 or 1, got 7/);
  });
});
