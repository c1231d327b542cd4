/**
 * float32 <-> float16 (IEEE 754 binary16) and float32 <-> bfloat16, over whole typed arrays. Weight files store
 * half precision; tfjs computes in float32, so these run once per tensor on load and save. Each loop works on
 * the raw bits through a Uint32Array view of the float32 side and allocates nothing per element.
 */

// One float32 and its bits, for the single conversion step that is easiest done by float arithmetic.
const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

// Constants of Fabian Giesen's float_to_half_fast3_rtne (public domain, "Half to float done quic",
// gist.github.com/rygorous/2156668), all float32 bit patterns:
const F32_INFINITY = 0x7f800000; // exponent all ones
const F16_OVERFLOW = (127 + 16) << 23; // 2^16: every float32 at or above it rounds to half infinity
const F16_MIN_NORMAL = (127 - 14) << 23; // 2^-14, the smallest normal half
const DENORM_MAGIC = (127 - 15 + 23 - 10 + 1) << 23; // 0.5: adding it rounds to the half subnormal grid
const DENORM_MAGIC_FLOAT = 0.5;

/** float32 → IEEE half bits, round to nearest even; overflow → ±inf, tiny values → subnormals or ±0. */
export function float32ToFloat16(values: Float32Array, out = new Uint16Array(values.length)): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) {
    let f = bits[i]!;
    const sign = (f >>> 16) & 0x8000;
    f &= 0x7fffffff;
    let half: number;
    if (f >= F16_OVERFLOW) {
      // NaN keeps its top 10 payload bits and becomes quiet (bit 9) so it cannot collapse into infinity.
      half = f > F32_INFINITY ? 0x7e00 | ((f >>> 13) & 0x3ff) : 0x7c00;
    } else if (f < F16_MIN_NORMAL) {
      // Subnormal or zero: adding 0.5 in float32 shifts the bits so that the FPU rounds (to nearest even) at
      // exactly the half subnormal step 2^-24; the low mantissa bits are then the half's bits.
      // (JS adds in float64, then rounds once to float32: exact, as float64 has more than 2·24+2 bits.)
      scratchBits[0] = f;
      scratchFloat[0] = scratchFloat[0]! + DENORM_MAGIC_FLOAT;
      half = scratchBits[0]! - DENORM_MAGIC;
    } else {
      // Normal: rebias the exponent (127 → 15) and round the 13 dropped mantissa bits to nearest even.
      const mantissaOdd = (f >>> 13) & 1;
      f += ((15 - 127) << 23) + 0xfff + mantissaOdd;
      half = f >>> 13; // a carry out of the mantissa bumps the exponent, up to infinity: also correct
    }
    out[i] = half | sign;
  }
  return out;
}

/** IEEE half bits → float32 (exact: every half is a float32). */
export function float16ToFloat32(halves: Uint16Array, out = new Float32Array(halves.length)): Float32Array {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < halves.length; i++) {
    const half = halves[i]!;
    const sign = (half & 0x8000) << 16;
    const exponent = (half >>> 10) & 0x1f;
    const mantissa = half & 0x3ff;
    if (exponent === 0) {
      // Zero or subnormal: mantissa · 2^-24, exact in float32.
      out[i] = mantissa * 2 ** -24;
      if (sign) out[i] = -out[i]!;
    } else if (exponent === 0x1f) {
      bits[i] = sign | F32_INFINITY | (mantissa << 13); // inf, or NaN with its payload
    } else {
      bits[i] = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
  }
  return out;
}

/**
 * float32 → bfloat16 bits: the upper 16 bits, rounded to nearest even as PyTorch's round_to_nearest_even
 * (c10/util/BFloat16.h) does. NaN stays NaN with its sign and top payload bits (made quiet, so a payload held
 * only in the dropped low bits cannot turn it into infinity).
 */
export function float32ToBfloat16(values: Float32Array, out = new Uint16Array(values.length)): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) {
    const f = bits[i]!;
    if ((f & 0x7fffffff) > F32_INFINITY) {
      out[i] = (f >>> 16) | 0x40;
    } else {
      const roundingBias = 0x7fff + ((f >>> 16) & 1);
      out[i] = (f + roundingBias) >>> 16; // below 2^32 even for -inf (0xff800000), so no wrap-around
    }
  }
  return out;
}

/** bfloat16 bits → float32 (exact: the bits become the upper half of the float32). */
export function bfloat16ToFloat32(halves: Uint16Array, out = new Float32Array(halves.length)): Float32Array {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < halves.length; i++) bits[i] = halves[i]! << 16;
  return out;
}
