import { describe, expect, it } from 'vitest';
import {
  bfloat16ToFloat32,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
} from './half-precision.js';

// Expected bit patterns below were computed with NumPy 1.24 (float16: np.float32(v).astype(np.float16)) and
// PyTorch 1.13 (bfloat16: torch.tensor([v]).to(torch.bfloat16)), printed as hex by test/reference/half.py.

function bitsToFloat32(bits: number[]): Float32Array {
  return new Float32Array(new Uint32Array(bits).buffer);
}

function float32Bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}

// 32-bit FNV-1a over 32-bit words, as in the Python reference: s = ((s ^ v) * 16777619) & 0xffffffff.
function fnv1a(values: ArrayLike<number>): number {
  let hash = 2166136261;
  for (let i = 0; i < values.length; i++) hash = Math.imul(hash ^ values[i]!, 16777619) >>> 0;
  return hash;
}

// The float32 bit patterns of an LCG (x = x·1664525 + 1013904223 mod 2^32, seed 12345, 200,000 steps), NaNs
// dropped: every exponent, so overflow, subnormals and ties all occur.
function lcgFloats(): Float32Array {
  const bits: number[] = [];
  let x = 12345;
  for (let i = 0; i < 200_000; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const nan = ((x >>> 23) & 0xff) === 0xff && (x & 0x7fffff) !== 0;
    if (!nan) bits.push(x);
  }
  return bitsToFloat32(bits);
}

describe('float16', () => {
  // [float32 bits, float16 bits] from NumPy
  const cases: [string, number, number][] = [
    ['1.0', 0x3f800000, 0x3c00],
    ['-2.5', 0xc0200000, 0xc100],
    ['65504, the largest half', 0x477fe000, 0x7bff],
    ['65519 rounds down to 65504', 0x477fef00, 0x7bff],
    ['65520 rounds up to infinity', 0x477ff000, 0x7c00],
    ['6e-8 → the smallest subnormal', 0x3380d959, 0x0001],
    ['2^-25: a tie between 0 and 2^-24, to even 0', 0x33000000, 0x0000],
    ['3·2^-25: a tie between 1 and 2 steps, to even 2', 0x33c00000, 0x0002],
    ['2^-14 - 2^-25: a tie, rounds up to the smallest normal', 0x387fe000, 0x0400],
    ['2^-14, the smallest normal', 0x38800000, 0x0400],
    ['1 + 2^-11: a tie, to even 1.0', 0x3f801000, 0x3c00],
    ['1 + 3·2^-11: a tie, to even 1 + 2^-9', 0x3f803000, 0x3c02],
    ['0.1', 0x3dcccccd, 0x2e66],
    ['-0', 0x80000000, 0x8000],
    ['inf', 0x7f800000, 0x7c00],
    ['-inf', 0xff800000, 0xfc00],
    ['1e-10 underflows to 0', 0x2edbe6ff, 0x0000],
  ];

  it.each(cases)('float32ToFloat16: %s', (_, f32, f16) => {
    expect(float32ToFloat16(bitsToFloat32([f32]))[0]).toBe(f16);
  });

  it('float16ToFloat32 decodes normals, subnormals, zeros and infinities exactly', () => {
    const halves = new Uint16Array([0x3c00, 0xc100, 0x7bff, 0x0001, 0x03ff, 0x8000, 0x7c00, 0xfc00]);
    expect(Array.from(float16ToFloat32(halves))).toEqual([
      1,
      -2.5,
      65504,
      2 ** -24,
      1023 * 2 ** -24,
      -0,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
  });

  it('keeps NaN a NaN, with its sign, even when its payload lies only in the dropped bits', () => {
    const halves = float32ToFloat16(bitsToFloat32([0x7fc00000, 0xffc00000, 0x7f800001]));
    for (const half of halves) {
      expect(half & 0x7c00).toBe(0x7c00);
      expect(half & 0x3ff).not.toBe(0);
    }
    expect(halves[1]! & 0x8000).toBe(0x8000);
    expect(float16ToFloat32(new Uint16Array([0x7e00]))[0]).toBeNaN();
  });

  it('matches NumPy on 199,196 float32 bit patterns (hash of the half bits)', () => {
    const values = lcgFloats();
    expect(values.length).toBe(199_196);
    expect(fnv1a(float32ToFloat16(values))).toBe(0x0e9e8b3f);
  });

  it('matches NumPy on all 65,536 halves, NaN payloads included (hash of the float32 bits)', () => {
    const halves = Uint16Array.from({ length: 65536 }, (_, i) => i);
    expect(fnv1a(float32Bits(float16ToFloat32(halves)))).toBe(0x78731dc5);
  });

  it('round-trips every non-NaN half exactly', () => {
    const halves = Uint16Array.from({ length: 65536 }, (_, i) => i).filter(
      (half) => (half & 0x7c00) !== 0x7c00 || (half & 0x3ff) === 0,
    );
    expect(Array.from(float32ToFloat16(float16ToFloat32(halves)))).toEqual(Array.from(halves));
  });

  it('reads a subarray view and writes into a given output', () => {
    const values = new Float32Array([9, 1, -2.5]).subarray(1);
    const out = new Uint16Array(2);
    expect(float32ToFloat16(values, out)).toBe(out);
    expect(Array.from(out)).toEqual([0x3c00, 0xc100]);
  });
});

describe('bfloat16', () => {
  // [float32 bits, bfloat16 bits] from PyTorch
  const cases: [string, number, number][] = [
    ['1.0', 0x3f800000, 0x3f80],
    ['-2.5', 0xc0200000, 0xc020],
    ['1 + 2^-8: a tie, to even 1.0', 0x3f808000, 0x3f80],
    ['1 + 3·2^-8: a tie, to even 1 + 2^-6', 0x3f818000, 0x3f82],
    ['the largest float32 rounds to infinity', 0x7f7fffff, 0x7f80],
    ['3e38', 0x7f61b1e6, 0x7f62],
    ['1e-40, a float32 subnormal', 0x000116c2, 0x0001],
    ['0.1', 0x3dcccccd, 0x3dcd],
    ['-0', 0x80000000, 0x8000],
    ['inf', 0x7f800000, 0x7f80],
  ];

  it.each(cases)('float32ToBfloat16: %s', (_, f32, bf16) => {
    expect(float32ToBfloat16(bitsToFloat32([f32]))[0]).toBe(bf16);
  });

  it('keeps NaN a NaN with its sign, even when its payload lies only in the dropped bits', () => {
    const halves = float32ToBfloat16(bitsToFloat32([0x7fc00000, 0xffc00000, 0x7f800001]));
    expect(Array.from(halves)).toEqual([0x7fc0, 0xffc0, 0x7fc0]);
    expect(bfloat16ToFloat32(halves)[2]).toBeNaN();
  });

  it('matches PyTorch on 199,196 float32 bit patterns (hash of the bfloat16 bits)', () => {
    expect(fnv1a(float32ToBfloat16(lcgFloats()))).toBe(0x2818090e);
  });

  it('matches PyTorch on all 65,536 bfloat16 values (hash of the float32 bits)', () => {
    const halves = Uint16Array.from({ length: 65536 }, (_, i) => i);
    expect(fnv1a(float32Bits(bfloat16ToFloat32(halves)))).toBe(0x84589dc5);
  });
});
