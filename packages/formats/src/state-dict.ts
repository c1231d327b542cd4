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

/**
 * What is wrong when a tensor holds a value that is not finite, naming it; null when all are finite. A NaN or
 * an infinity in the weights makes every output NaN (all-NaN logits, one token repeated), so files holding
 * one are refused (assertFiniteTensors).
 */
export function nonFiniteTensorProblem(tensors: Iterable<[string, NamedTensor]>): string | null {
  for (const [name, { data }] of tensors) {
    let first = -1;
    for (let i = 0; i < data.length; i++) {
      // v - v is 0 for every finite v, NaN for NaN and ±Infinity: one comparison per value.
      if (data[i]! - data[i]! !== 0) {
        first = i;
        break;
      }
    }
    if (first === -1) continue;
    let count = 0;
    for (let i = first; i < data.length; i++) if (data[i]! - data[i]! !== 0) count++;
    return `tensor ${name} holds ${count.toLocaleString('en-US')} of ${data.length.toLocaleString('en-US')} values that are not finite (the first, at index ${first}, is ${data[first]}): the weights are broken (a diverged run?)`;
  }
  return null;
}

/** Throws a WeightFileError naming `file` and the tensor unless every value of every tensor is finite. */
export function assertFiniteTensors(tensors: Iterable<[string, NamedTensor]>, file: string): void {
  const problem = nonFiniteTensorProblem(tensors);
  if (problem) throw new WeightFileError(file, problem);
}
