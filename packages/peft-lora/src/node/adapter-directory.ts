import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeFileError, writeAtomic } from '@mini-llama/formats/node';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, AdapterFileError } from '../adapter-config-json.js';
import {
  type LoadAdapterOptions,
  loadParsedAdapter,
  type ParsedAdapter,
  parseAdapter,
  type SerializeAdapterOptions,
  serializeAdapter,
} from '../adapter-files.js';
import type { AdaptableModel, LoraModel } from '../lora-model.js';

/**
 * Writes an adapter as PEFT's save_pretrained does: DIR/adapter_config.json and DIR/adapter_model.safetensors,
 * each atomically (temporary file, fsync, rename). Returns the two paths.
 */
export async function saveAdapter(
  lora: LoraModel,
  directory: string,
  options: SerializeAdapterOptions = {},
): Promise<string[]> {
  const { config, weights } = await serializeAdapter(lora, options);
  await mkdir(directory, { recursive: true });
  const configPath = join(directory, ADAPTER_CONFIG_FILE);
  const weightsPath = join(directory, ADAPTER_WEIGHTS_FILE);
  await writeAtomic(weightsPath, weights);
  await writeAtomic(configPath, new TextEncoder().encode(config));
  return [configPath, weightsPath];
}

/** Reads and checks an adapter directory's two files (not yet against a model). */
export async function readAdapter(directory: string): Promise<ParsedAdapter> {
  const info = await stat(directory).catch(() => null);
  if (!info) throw new AdapterFileError(directory, 'no such adapter directory');
  if (!info.isDirectory()) {
    throw new AdapterFileError(
      directory,
      `not a directory: an adapter is a directory with ${ADAPTER_CONFIG_FILE}`,
    );
  }
  const configPath = join(directory, ADAPTER_CONFIG_FILE);
  const weightsPath = join(directory, ADAPTER_WEIGHTS_FILE);
  return parseAdapter(
    { config: await readBytes(configPath), weights: await readBytes(weightsPath) },
    { config: configPath, weights: weightsPath },
  );
}

/**
 * Loads the adapter in `directory` onto a model (a new LoraModel) or into a LoraModel (one more adapter,
 * named by `adapterName`). Every mismatch with the model is an error naming the file and the key.
 */
export async function loadAdapter(
  target: AdaptableModel | LoraModel,
  directory: string,
  options: LoadAdapterOptions = {},
): Promise<LoraModel> {
  return loadParsedAdapter(target, await readAdapter(directory), options);
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AdapterFileError(
      path,
      code === 'ENOENT' ? 'missing' : `cannot read: ${describeFileError(error)}`,
    );
  }
}
