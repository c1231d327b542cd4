import { describe, expect, it } from 'vitest';
import { parseSafetensors, readSafetensorsHeader, serializeSafetensors } from './safetensors.js';
import { type NamedTensor, WeightFileError } from './state-dict.js';

const FILE = 'model.safetensors';

/** A safetensors file from a header (object or raw text) and `dataBytes` zero bytes of data. */
function fileWith(header: unknown, dataBytes = 0): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const headerBytes = new TextEncoder().encode(text);
  const bytes = new Uint8Array(8 + headerBytes.length + dataBytes);
  new DataView(bytes.buffer).setUint32(0, headerBytes.length, true);
  bytes.set(headerBytes, 8);
  return bytes;
}

function tensors(entries: Record<string, [number[], number[]]>): Map<string, NamedTensor> {
  return new Map(
    Object.entries(entries).map(([name, [shape, values]]) => [
      name,
      { shape, data: new Float32Array(values) },
    ]),
  );
}

function expectError(bytes: Uint8Array, message: RegExp): void {
  let caught: unknown;
  try {
    parseSafetensors(bytes, FILE);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(WeightFileError);
  expect((caught as WeightFileError).file).toBe(FILE);
  expect((caught as Error).message).toMatch(message);
}

describe('serializeSafetensors', () => {
  it('writes the layout of the Rust library byte for byte', () => {
    // safetensors.torch.save({'a': torch.tensor([1.0, 2.0])}): a 54-byte header padded with spaces to 56.
    const bytes = serializeSafetensors(tensors({ a: [[2], [1, 2]] }), { dtype: 'F32' });
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(header.length).toBe(54);
    const expected = new Uint8Array(8 + 56 + 8);
    expected[0] = 56;
    expected.set(new TextEncoder().encode(header.padEnd(56, ' ')), 8);
    expected.set(new Uint8Array(new Float32Array([1, 2]).buffer), 64);
    expect(Array.from(bytes)).toEqual(Array.from(expected));
  });

  it('orders tensors by name, packs their data in that order and puts __metadata__ first', () => {
    const input = tensors({
      b: [[1], [1]],
      'layers.2': [[1], [2]],
      a: [[2], [3, 4]],
      'layers.10': [[1], [5]],
    });
    const bytes = serializeSafetensors(input, { dtype: 'F32', metadata: { format: 'pt' } });
    const headerLength = new DataView(bytes.buffer).getUint32(0, true);
    expect(headerLength % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
    expect(Object.keys(JSON.parse(header))).toEqual(['__metadata__', 'a', 'b', 'layers.10', 'layers.2']);
    const { tensors: infos, metadata, dataStart } = readSafetensorsHeader(bytes, FILE);
    expect(metadata).toEqual({ format: 'pt' });
    expect(dataStart).toBe(8 + headerLength);
    expect(infos.map((info) => [info.name, info.dataOffsets])).toEqual([
      ['a', [0, 8]],
      ['b', [8, 12]],
      ['layers.10', [12, 16]],
      ['layers.2', [16, 20]],
    ]);
  });

  it('rejects a tensor whose data does not fill its shape', () => {
    expect(() =>
      serializeSafetensors(
        tensors({
          a: [
            [2, 2],
            [1, 2, 3],
          ],
        }),
        { dtype: 'F32' },
      ),
    ).toThrow(/serializeSafetensors: tensor "a" has 3 values, shape \[2, 2\] needs 4/);
  });
});

describe('parseSafetensors', () => {
  // Values exact in every dtype (few mantissa bits), so each round trip must be exact.
  const input = tensors({
    'model.norm.weight': [[3], [1, -0.5, 0]],
    'model.embed_tokens.weight': [
      [2, 3],
      [0.25, -2, 3, 1024, -0.125, 6],
    ],
    empty: [[0, 4], []],
  });

  it.each(['F32', 'F16', 'BF16'] as const)('round-trips %s', (dtype) => {
    const bytes = serializeSafetensors(input, { dtype, metadata: { format: 'pt' } });
    const parsed = parseSafetensors(bytes, FILE);
    expect(parsed.metadata).toEqual({ format: 'pt' });
    expect([...parsed.dtypes]).toEqual([dtype]);
    expect(new Set(parsed.tensors.keys())).toEqual(new Set(input.keys()));
    for (const [name, tensor] of input) {
      expect(parsed.tensors.get(name)?.shape).toEqual(tensor.shape);
      expect(Array.from(parsed.tensors.get(name)!.data)).toEqual(Array.from(tensor.data));
    }
  });

  it('halves the data for F16 and BF16 and rounds to the stored precision', () => {
    const values = tensors({ x: [[2], [1 / 3, 1 + 2 ** -11]] });
    const f16 = parseSafetensors(serializeSafetensors(values, { dtype: 'F16' }), FILE).tensors.get('x')!;
    expect(Array.from(f16.data)).toEqual([0.333251953125, 1]); // nearest halves (1 + 2^-11 ties to even)
    const f32Bytes = serializeSafetensors(values, { dtype: 'F32' }).length;
    expect(serializeSafetensors(values, { dtype: 'BF16' }).length).toBe(f32Bytes - 4);
  });

  it('reads from an unaligned view of a larger buffer', () => {
    const bytes = serializeSafetensors(input, { dtype: 'F32' });
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const parsed = parseSafetensors(shifted.subarray(1), FILE);
    expect(Array.from(parsed.tensors.get('model.embed_tokens.weight')!.data)).toEqual([
      0.25, -2, 3, 1024, -0.125, 6,
    ]);
  });

  it('rejects a file shorter than 8 bytes', () => {
    expectError(
      new Uint8Array(5),
      /^model\.safetensors: file is 5 bytes, too short for the 8-byte header length/,
    );
  });

  it('rejects a header length past the end of the file', () => {
    const bytes = fileWith({});
    new DataView(bytes.buffer).setUint32(0, 1000, true);
    expectError(bytes, /header length 1000 bytes runs past the end of the file \(10 bytes\)/);
  });

  it('rejects a header that is not JSON', () => {
    expectError(fileWith('{"a": '), /header is not valid JSON/);
  });

  it('rejects a header that is not valid UTF-8', () => {
    const bytes = fileWith('{"a":1}');
    bytes[9] = 0xff;
    expectError(bytes, /header is not valid UTF-8/);
  });

  it('rejects a header that is not an object', () => {
    expectError(fileWith([1, 2]), /header is not a JSON object \(got \[1,2\]\)/);
  });

  it('rejects an unknown dtype, naming it and the tensor', () => {
    expectError(
      fileWith({ w: { dtype: 'Q9', shape: [1], data_offsets: [0, 4] } }, 4),
      /tensor "w" has unknown dtype "Q9"/,
    );
  });

  it('rejects a known but unsupported dtype, naming it and the tensor', () => {
    expectError(
      fileWith({ ids: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, 8),
      /tensor "ids" has dtype I64, which is not supported \(only F32, F16 and BF16\)/,
    );
  });

  it('rejects a malformed shape', () => {
    expectError(
      fileWith({ w: { dtype: 'F32', shape: [2, -1], data_offsets: [0, 8] } }, 8),
      /tensor "w": shape must be an array of non-negative integers, got \[2,-1\]/,
    );
  });

  it('rejects data_offsets that disagree with the shape', () => {
    expectError(
      fileWith({ w: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 8] } }, 8),
      /tensor "w": shape \[2, 3\] of F16 needs 12 bytes, but data_offsets \[0, 8\] span 8/,
    );
  });

  it('rejects malformed data_offsets', () => {
    expectError(
      fileWith({ w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, 8),
      /tensor "w": data_offsets must be \[begin, end\] with 0 <= begin <= end, got \[8,4\]/,
    );
  });

  it('rejects data_offsets past the end of the file', () => {
    expectError(
      fileWith({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8),
      /tensor "w": data_offsets \[0, 16\] run past the end of the data section \(8 bytes\)/,
    );
  });

  it('rejects overlapping tensors', () => {
    const header = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    };
    expectError(fileWith(header, 12), /tensors "a" and "b" overlap \(data_offsets \[0, 8\] and \[4, 12\]\)/);
  });

  it('accepts an empty tensor at the offset where the next one begins', () => {
    const header = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      c: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
      b: { dtype: 'F32', shape: [0], data_offsets: [8, 8] },
    };
    const parsed = parseSafetensors(fileWith(header, 12), FILE);
    expect([...parsed.tensors.keys()]).toEqual(['a', 'b', 'c']);
    expect(parsed.tensors.get('b')).toEqual({ shape: [0], data: new Float32Array(0) });
  });

  it('rejects metadata that is not a map of strings', () => {
    expectError(
      fileWith({ __metadata__: { total_size: 8 } }),
      /__metadata__\."total_size" must be a string, got 8/,
    );
  });
});
