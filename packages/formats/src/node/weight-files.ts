import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { LlamaConfig } from '../config.js';
import { expectedTensorShapes, type TensorShape } from '../expected-tensor-shapes.js';
import { configFromHfJson, hfJsonFromConfig } from '../hf-config.js';
import {
  checkHfTensorShapes,
  checkTiedHead,
  hfTensorsFromStateDict,
  parseShardIndex,
  TIED_HEAD,
  tensorFromHf,
} from '../hf-llama.js';
import { parseLlama2c, serializeLlama2c } from '../llama2c.js';
import { serializeSafetensors } from '../safetensors.js';
import {
  assertFiniteTensors,
  type NamedTensor,
  type StateDict,
  type StorageDtype,
  WeightFileError,
} from '../state-dict.js';
import { writeAtomic } from './atomic-files.js';
import { describeFileError } from './file-errors.js';
import { readShardHeader, readShardTensors, type SafetensorsShard } from './safetensors-stream.js';

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

export interface ReadWeightOptions {
  /**
   * Called with the model's config once it is known and before the weights are read (a safetensors checkpoint's
   * config.json, a llama2.c header): throw to stop, e.g. when the backend cannot hold a model of that size.
   */
  beforeWeights?: (config: LlamaConfig) => void;
}

/**
 * Reads weights from a path, picking the format from it: a directory holding config.json (and
 * model.safetensors or a sharded model.safetensors.index.json), a `.safetensors` file with config.json beside
 * it, or a llama2.c `.bin` (v0 or v1, told apart by the magic number).
 */
export async function readWeightFile(path: string, options: ReadWeightOptions = {}): Promise<WeightFile> {
  const { tensors, ...file } = await openWeightFile(path, options);
  const read = new Map<string, NamedTensor>();
  for await (const [name, tensor] of tensors()) read.set(name, tensor);
  // In the model's order (a file's order is its writer's), every expected tensor being there.
  const stateDict: StateDict = new Map();
  for (const name of expectedTensorShapes(file.config).keys()) stateDict.set(name, read.get(name)!);
  return { ...file, stateDict };
}

/** A weight file opened for reading a tensor at a time: what `readWeightFile` returns but the tensors. */
export interface WeightStream extends Omit<WeightFile, 'stateDict'> {
  /**
   * Every tensor of the model, in our layout, read from the file as it is asked for (in the file's order): a
   * safetensors checkpoint holds one tensor in memory at a time. Names and shapes were checked when the file
   * was opened; values (NaN, a tied head's copy) are checked as they are read.
   */
  tensors(): AsyncGenerator<[name: string, tensor: NamedTensor]>;
}

/** `readWeightFile`, streaming: the config and every check of names and shapes first, the values on demand. */
export async function openWeightFile(path: string, options: ReadWeightOptions = {}): Promise<WeightStream> {
  const info = await stat(path).catch(() => {
    throw new WeightFileError(path, 'no such file or directory');
  });
  if (info.isDirectory()) return openHfDirectory(path, options);
  const extension = extname(path).toLowerCase();
  if (extension === '.safetensors') return openHfSafetensors(dirname(path), [path], options);
  if (extension === '.json' && basename(path) === 'model.safetensors.index.json')
    return openHfDirectory(dirname(path), options);
  if (extension === '.bin') {
    const { config, stateDict, version } = parseLlama2c(await readBytes(path), path);
    options.beforeWeights?.(config);
    assertFiniteTensors(stateDict, path);
    return {
      config,
      tensors: async function* () {
        yield* stateDict;
      },
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

async function openHfDirectory(directory: string, options: ReadWeightOptions): Promise<WeightStream> {
  const single = join(directory, 'model.safetensors');
  const index = join(directory, 'model.safetensors.index.json');
  if (await exists(single)) return openHfSafetensors(directory, [single], options);
  if (await exists(index)) {
    const { shardFiles } = parseShardIndex(await readJson(index), index);
    return openHfSafetensors(
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

async function openHfSafetensors(
  directory: string,
  shardFiles: string[],
  options: ReadWeightOptions,
  indexFile?: string,
): Promise<WeightStream> {
  const configPath = join(directory, 'config.json');
  if (!(await exists(configPath))) {
    throw new WeightFileError(
      configPath,
      'missing: HF weights need a config.json beside the safetensors file',
    );
  }
  const config = configFromHfJson(await readJson(configPath), configPath);
  options.beforeWeights?.(config);
  // Every shard's header before any data: a missing, misshapen or unknown tensor is refused at once.
  const shards: SafetensorsShard[] = [];
  const shapes = new Map<string, TensorShape>();
  const dtypes = new Set<StorageDtype>();
  for (const file of shardFiles) {
    const shard = await readShardHeader(file);
    for (const { name, shape, dtype } of shard.header.tensors) {
      if (shapes.has(name)) throw new WeightFileError(file, `tensor ${name} also appears in another shard`);
      shapes.set(name, { shape });
      dtypes.add(dtype);
    }
    shards.push(shard);
  }
  checkHfTensorShapes(shapes, config, indexFile ?? shardFiles[0]!);
  const tiedCopy = config.tieEmbeddings && shapes.has(TIED_HEAD.head);
  return {
    config,
    tensors: async function* () {
      // A tied head's copy is compared with the embedding once both are read; only the first is kept meanwhile.
      const tied = new Map<string, Float32Array>();
      for (const shard of shards) {
        for await (const [name, tensor] of readShardTensors(shard)) {
          if (tiedCopy && (name === TIED_HEAD.head || name === TIED_HEAD.embedding)) {
            tied.set(name, tensor.data);
            if (tied.size === 2) {
              checkTiedHead(tied.get(TIED_HEAD.head)!, tied.get(TIED_HEAD.embedding)!, shard.file);
              tied.clear();
            }
          }
          const ours = tensorFromHf(name, tensor, config);
          if (ours) yield [name, ours];
        }
      }
    },
    format: 'hf',
    dtype: dtypes.size === 1 ? [...dtypes][0]! : 'F32',
    files: [configPath, ...(indexFile ? [indexFile] : []), ...shardFiles],
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
