import type { LlamaConfig } from './config.js';

/**
 * The rotary inverse frequencies θ_i of a config, i = 0 … headDim/2 − 1, in float32 as transformers computes
 * them (modeling_rope_utils.py), so that angles position · θ_i round the same way:
 *
 *   default   θ_i = 1 / base^(2i / headDim)                      (Su et al. 2021, RoFormer)
 *   linear    θ_i / factor                                        (position interpolation, Chen et al. 2023)
 *   dynamic   θ_i while the sequence fits max_position_embeddings (NTK-aware; the model never lets it outgrow)
 *   llama3    wavelength 2π/θ_i above originalMaxSeqLen / lowFreqFactor: θ_i / factor; below
 *             originalMaxSeqLen / highFreqFactor: θ_i; between: (1 − s)·θ_i/factor + s·θ_i with
 *             s = (originalMaxSeqLen / wavelength − lowFreqFactor) / (highFreqFactor − lowFreqFactor)
 */
export function ropeInverseFrequencies(
  config: Pick<LlamaConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>,
): Float32Array {
  const { headDim, ropeTheta, ropeScaling } = config;
  const f32 = Math.fround;
  const frequencies = new Float32Array(headDim / 2);
  for (let i = 0; i < headDim / 2; i++) {
    frequencies[i] = f32(1 / f32(ropeTheta ** f32((2 * i) / headDim)));
  }
  if (!ropeScaling || ropeScaling.type === 'dynamic') return frequencies;
  const { factor } = ropeScaling;
  if (ropeScaling.type === 'linear') return frequencies.map((frequency) => f32(frequency / factor));

  const { lowFreqFactor, highFreqFactor, originalMaxSeqLen } = ropeScaling;
  const lowFrequencyWavelength = originalMaxSeqLen / lowFreqFactor;
  const highFrequencyWavelength = originalMaxSeqLen / highFreqFactor;
  // In PyTorch's order of float32 operations (`c / tensor` is `tensor.reciprocal() * c`).
  return frequencies.map((frequency) => {
    const wavelength = f32(f32(1 / frequency) * f32(2 * Math.PI));
    if (wavelength < highFrequencyWavelength) return frequency;
    if (wavelength > lowFrequencyWavelength) return f32(frequency / factor);
    const ratio = f32(f32(1 / wavelength) * originalMaxSeqLen);
    const smooth = f32(f32(ratio - lowFreqFactor) / f32(highFreqFactor - lowFreqFactor));
    return f32(f32(f32(f32(1 - smooth) * frequency) / factor) + f32(smooth * frequency));
  });
}
