import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { LlamaConfig } from '../config.js';
import { configFromHfJson, hfJsonFromConfig } from '../hf-config.js';
import { hfTensorsFromStateDict, parseShardIndex, stateDictFromHfTensors } from '../hf-llama.js';
import { parseLlama2c, serializeLlama2c } from '../llama2c.js';
import { parseSafetensors, serializeSafetensors } from '../safetensors.js';
import {
  assertFiniteTensors,
  type NamedTensor,
  type StateDict,
  type StorageDtype,
  WeightFileError,
} from '../state-dict.js';
import { writeAtomic } from './atomic-files.js';
import { describeFileError } from './file-errors.js';

/**
 * The storage dtype a converted file gets unless asked: an HF file keeps the source's (half precision stays
 * half), a llama2.c file is always F32 (its format has no other).
 */
export function defaultStorageDtype(format: WeightFormat, source: StorageDtype): StorageDtype {
  return format === 'hf' ? source : 'F32';
}

/** On-disk layouts: HF Llama (config.json + safetensors) and llama2.c's legacy (v0) and version-1 .bin. */
export type WeightFormat = 'hf' | 'llama2c' | 'llama2c-v1';

export interface WeightFile {
  config: LlamaConfig;
  stateDict: StateDict;
  format: WeightFormat;
  /** Storage dtype of the tensors (llama2.c files are always F32). */
  dtype: StorageDtype;
  /** The files read, for messages. */
  files: string[];
}

/**
 * Reads weights from a path, picking the format from it: a directory holding config.json (and
 * model.safetensors or a sharded model.safetensors.index.json), a `.safetensors` file with config.json beside
 * it, or a llama2.c `.bin` (v0 or v1, told apart by the magic number).
 */
export interface ReadWeightOptions {
  /**
   * Called with the model's config once it is known and before the weights are read (a safetensors checkpoint's
   * config.json, a llama2.c header): throw to stop, e.g. when the backend cannot hold a model of that size.
   */
  beforeWeights?: (config: LlamaConfig) => void;
}

export async function readWeightFile(path: string, options: ReadWeightOptions = {}): Promise<WeightFile> {
  const info = await stat(path).catch(() => {
    throw new WeightFileError(path, 'no such file or directory');
  });
  if (info.isDirectory()) return readHfDirectory(path, options);
  const extension = extname(path).toLowerCase();
  if (extension === '.safetensors') return readHfSafetensors(dirname(path), [path], options);
  if (extension === '.json' && basename(path) === 'model.safetensors.index.json')
    return readHfDirectory(dirname(path), options);
  if (extension === '.bin') {
    const { config, stateDict, version } = parseLlama2c(await readBytes(path), path);
    options.beforeWeights?.(config);
    assertFiniteTensors(stateDict, path);
    return {
      config,
      stateDict,
      format: version === 1 ? 'llama2c-v1' : 'llama2c',
      dtype: 'F32',
      files: [path],
    };
  }
  throw new WeightFileError(
    path,
    'unknown weight format: expected a directory with config.json, a .safetensors file or a llama2.c .bin',
  );
}

async function readHfDirectory(directory: string, options: ReadWeightOptions): Promise<WeightFile> {
  const single = join(directory, 'model.safetensors');
  const index = join(directory, 'model.safetensors.index.json');
  if (await exists(single)) return readHfSafetensors(directory, [single], options);
  if (await exists(index)) {
    const { shardFiles } = parseShardIndex(await readJson(index), index);
    return readHfSafetensors(
      directory,
      shardFiles.map((file) => join(directory, file)),
      options,
      index,
    );
  }
  throw new WeightFileError(
    directory,
    'no model.safetensors or model.safetensors.index.json in this directory',
  );
}

async function readHfSafetensors(
  directory: string,
  shards: string[],
  options: ReadWeightOptions,
  indexFile?: string,
): Promise<WeightFile> {
  const configPath = join(directory, 'config.json');
  if (!(await exists(configPath))) {
    throw new WeightFileError(
      configPath,
      'missing: HF weights need a config.json beside the safetensors file',
    );
  }
  const config = configFromHfJson(await readJson(configPath), configPath);
  options.beforeWeights?.(config);
  const tensors = new Map<string, NamedTensor>();
  const dtypes = new Set<StorageDtype>();
  for (const shard of shards) {
    const parsed = parseSafetensors(await readBytes(shard), shard);
    assertFiniteTensors(parsed.tensors, shard);
    for (const [name, tensor] of parsed.tensors) {
      if (tensors.has(name)) throw new WeightFileError(shard, `tensor ${name} also appears in another shard`);
      tensors.set(name, tensor);
    }
    for (const dtype of parsed.dtypes) dtypes.add(dtype);
  }
  // Memory so far is bounded by the files' size; the config's shapes are bounded by CONFIG_LIMITS, and a
  // config that does not fit the files fails at its first missing or misshapen tensor.
  const stateDict = stateDictFromHfTensors(tensors, config, indexFile ?? shards[0]!);
  const dtype: StorageDtype = dtypes.size === 1 ? [...dtypes][0]! : 'F32';
  return {
    config,
    stateDict,
    format: 'hf',
    dtype,
    files: [configPath, ...(indexFile ? [indexFile] : []), ...shards],
  };
}

export interface WriteWeightOptions {
  format: WeightFormat;
  /** F16/BF16 halve the file; llama2.c files are always F32. */
  dtype?: StorageDtype;
}

/**
 * Writes weights atomically (a temporary file, fsync, rename), so an interrupted write never leaves a
 * half-written file under the final name. HF output is a directory (config.json + model.safetensors).
 * Weights that are not all finite are refused, naming the tensor (nothing is written).
 */
export async function writeWeightFile(
  path: string,
  { config, stateDict }: { config: LlamaConfig; stateDict: StateDict },
  { format, dtype = 'F32' }: WriteWeightOptions,
): Promise<string[]> {
  assertFiniteTensors(stateDict, path);
  if (format === 'hf') {
    await mkdir(path, { recursive: true });
    const tensors = hfTensorsFromStateDict(stateDict, config);
    const configJson = { ...hfJsonFromConfig(config), torch_dtype: TORCH_DTYPE[dtype] };
    const weightsPath = join(path, 'model.safetensors');
    const configPath = join(path, 'config.json');
    await writeAtomic(weightsPath, serializeSafetensors(tensors, { dtype, metadata: { format: 'pt' } }));
    await writeAtomic(configPath, new TextEncoder().encode(`${JSON.stringify(configJson, null, 2)}\n`));
    return [configPath, weightsPath];
  }
  if (dtype !== 'F32') {
    throw new WeightFileError(
      path,
      `llama2.c files store float32 only; --dtype ${dtype.toLowerCase()} needs --to hf`,
    );
  }
  await mkdir(dirname(path), { recursive: true });
  await writeAtomic(path, serializeLlama2c(stateDict, config, format === 'llama2c-v1' ? 1 : 0));
  return [path];
}

const TORCH_DTYPE: Record<StorageDtype, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new WeightFileError(path, `cannot read: ${describeFileError(error)}`);
  }
}

async function readJson(path: string): Promise<unknown> {
  const text = new TextDecoder().decode(await readBytes(path));
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WeightFileError(path, `invalid JSON: ${(error as Error).message}`);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
