import { describe, expect, it } from 'vitest';
import { ropeInverseFrequencies } from './rope-frequencies.js';

// transformers 5.18, modeling_rope_utils.ROPE_INIT_FUNCTIONS[type](config, 'cpu')[0].tolist() (float32 values).
const LLAMA3 = [
  1.0, 0.663601279258728, 0.44036662578582764, 0.2922278344631195, 0.193922758102417, 0.12868738174438477,
  0.08539710193872452, 0.05666961893439293, 0.03760603070259094, 0.02495540864765644, 0.016560440883040428,
  0.010989529080688953, 0.00729266507551074, 0.00483942124992609, 0.0032114461064338684,
  0.0012905480107292533, 0.000429556705057621, 9.708286233944818e-5, 1.9461638657958247e-5,
  1.291476746700937e-5, 8.570255886297673e-6, 5.687232260243036e-6, 3.7740544485131977e-6,
  2.504467147446121e-6, 1.6619674170215148e-6, 1.1028836297555245e-6, 7.318749339901842e-7,
  4.856731266045244e-7, 3.2229328894572973e-7, 2.1387423032592778e-7, 1.4192720243499934e-7,
  9.418306490260875e-8,
];
const LINEAR = [
  0.25, 0.07905694097280502, 0.02500000037252903, 0.007905694656074047, 0.0024999999441206455,
  0.0007905694656074047, 0.0002500000118743628, 7.905694656074047e-5,
];

function expectClose(ours: Float32Array, theirs: number[]): void {
  expect(ours.length).toBe(theirs.length);
  theirs.forEach((value, i) => {
    expect(Math.abs(ours[i]! - value) / value, `θ_${i}`).toBeLessThan(3e-7);
  });
}

describe('ropeInverseFrequencies', () => {
  it('is RoFormer θ_i = base^(-2i/d) without scaling, and dynamic scaling changes nothing within the context', () => {
    const plain = ropeInverseFrequencies({ headDim: 8, ropeTheta: 10000, ropeScaling: null });
    expect(Array.from(plain)).toEqual([1, 0.1, 0.01, 0.001].map(Math.fround));
    const dynamic = ropeInverseFrequencies({
      headDim: 8,
      ropeTheta: 10000,
      ropeScaling: { type: 'dynamic', factor: 4 },
    });
    expect(dynamic).toEqual(plain);
  });

  it("equals transformers' linear scaling (every frequency divided by the factor)", () => {
    expectClose(
      ropeInverseFrequencies({ headDim: 16, ropeTheta: 10000, ropeScaling: { type: 'linear', factor: 4 } }),
      LINEAR,
    );
  });

  it("equals transformers' llama3 scaling: high frequencies kept, low ones divided, the band between blended", () => {
    const ours = ropeInverseFrequencies({
      headDim: 64,
      ropeTheta: 500000,
      ropeScaling: {
        type: 'llama3',
        factor: 32,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalMaxSeqLen: 8192,
      },
    });
    expectClose(ours, LLAMA3);
    const unscaled = ropeInverseFrequencies({ headDim: 64, ropeTheta: 500000, ropeScaling: null });
    expect(ours[0]).toBe(unscaled[0]); // a short wavelength: untouched
    expect(ours[31]).toBe(Math.fround(unscaled[31]! / 32)); // a long one: divided by the factor
  });
});
