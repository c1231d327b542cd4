// A HF checkpoint held in memory (what fetchHubFiles returns, or files a user picked in a browser) → the model's
// config and state dict, with the checks the Node reader makes on files.
import type { LlamaConfig } from './config.js';
import { configFromHfJson } from './hf-config.js';
import { parseShardIndex, stateDictFromHfTensors } from './hf-llama.js';
import { parseSafetensors } from './safetensors.js';
import {
  assertFiniteTensors,
  type NamedTensor,
  type StateDict,
  type StorageDtype,
  WeightFileError,
} from './state-dict.js';

export interface HfCheckpoint {
  config: LlamaConfig;
  stateDict: StateDict;
  /** Storage dtype of the weights (F32 when they mix dtypes). */
  dtype: StorageDtype;
}

/**
 * config.json and model.safetensors (or model.safetensors.index.json and its shards) by file name → the config
 * and our state dict. `source` names the checkpoint in errors (`ORG/NAME@main`).
 */
export function checkpointFromHfFiles(files: ReadonlyMap<string, Uint8Array>, source: string): HfCheckpoint {
  const file = (name: string): Uint8Array => {
    const bytes = files.get(name);
    if (!bytes) throw new WeightFileError(`${source}: ${name}`, 'missing');
    return bytes;
  };
  const json = (name: string): unknown => {
    try {
      return JSON.parse(new TextDecoder().decode(file(name)));
    } catch (error) {
      throw new WeightFileError(`${source}: ${name}`, `invalid JSON: ${(error as Error).message}`);
    }
  };
  const config = configFromHfJson(json('config.json'), `${source}: config.json`);
  const indexName = 'model.safetensors.index.json';
  const shards = files.has(indexName)
    ? parseShardIndex(json(indexName), `${source}: ${indexName}`).shardFiles
    : ['model.safetensors'];
  const tensors = new Map<string, NamedTensor>();
  const dtypes = new Set<StorageDtype>();
  for (const shard of shards) {
    const name = `${source}: ${shard}`;
    const parsed = parseSafetensors(file(shard), name);
    assertFiniteTensors(parsed.tensors, name);
    for (const [tensor, value] of parsed.tensors) {
      if (tensors.has(tensor))
        throw new WeightFileError(name, `tensor ${tensor} also appears in another shard`);
      tensors.set(tensor, value);
    }
    for (const dtype of parsed.dtypes) dtypes.add(dtype);
  }
  const stateDict = stateDictFromHfTensors(
    tensors,
    config,
    `${source}: ${files.has(indexName) ? indexName : shards[0]}`,
  );
  return { config, stateDict, dtype: dtypes.size === 1 ? [...dtypes][0]! : 'F32' };
}
