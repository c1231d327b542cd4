/**
 * A model's weights outside tfjs: HF Llama parameter names (`model.layers.0.self_attn.q_proj.weight`),
 * PyTorch shapes (Linear weights [out, in]) and the Meta / llama2.c interleaved rotary layout for q/k rows.
 * Every weight format reads into and writes from this one representation; the HF rotate-half permutation
 * and the [in, out] layout of our Linear layers are each handled in exactly one place.
 */
export interface NamedTensor {
  shape: number[];
  data: Float32Array; // row-major, always float32 in memory (half precision is a storage format only)
}

export type StateDict = Map<string, NamedTensor>;

/** Storage dtypes of weight files. tfjs has no half-precision dtype: F16/BF16 exist only on disk. */
export type StorageDtype = 'F32' | 'F16' | 'BF16';

/** Thrown for any unreadable or inconsistent weight file; the message starts with the file's name. */
export class WeightFileError extends Error {
  override name = 'WeightFileError';
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.file = file;
  }
}
