/**
 * A PEFT adapter as two files' contents — adapter_config.json and adapter_model.safetensors — in and out of
 * memory. Pure (bytes in, bytes out), so it runs in browsers; `@mini-llama/peft-lora/node` reads and writes
 * them in a directory.
 */

import { nonFiniteTensorProblem, parseSafetensors, serializeSafetensors } from '@mini-llama/formats';
import type { StateDict, StorageDtype } from '@mini-llama/model';
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  type AdapterConfigFile,
  AdapterFileError,
  adapterConfigJson,
  parseAdapterConfig,
  serializeAdapterConfig,
  withFileFieldNames,
} from './adapter-config-json.js';
import { LoraConfigError } from './lora-config.js';
import { type AdaptableModel, LoraModel } from './lora-model.js';

export interface AdapterFiles {
  config: string; // adapter_config.json
  weights: Uint8Array; // adapter_model.safetensors
}

export interface SerializeAdapterOptions {
  adapterName?: string; // default: the active adapter
  baseModelNameOrPath?: string | null; // recorded in adapter_config.json
  dtype?: StorageDtype; // of the tensors; F32 by default
}

/** An adapter's two files, as PEFT's save_pretrained writes them. */
export async function serializeAdapter(
  lora: LoraModel,
  { adapterName, baseModelNameOrPath = null, dtype = 'F32' }: SerializeAdapterOptions = {},
): Promise<AdapterFiles> {
  const name = adapterName ?? lora.activeAdapter;
  if (name === null) throw new Error('serializeAdapter: the LoraModel has no active adapter');
  const json = adapterConfigJson(lora.adapterConfig(name), { taskType: lora.taskType, baseModelNameOrPath });
  const tensors = await lora.adapterStateDict(name);
  return {
    config: serializeAdapterConfig(json),
    weights: serializeSafetensors(tensors, { dtype, metadata: { format: 'pt' } }),
  };
}

export interface ParsedAdapter extends AdapterConfigFile {
  tensors: StateDict; // PEFT's keys and layouts, float32
  files: { config: string; weights: string }; // names for messages
}

/** Reads an adapter's two files; every error names the file (and the key). */
export function parseAdapter(
  files: { config: string | Uint8Array; weights: Uint8Array },
  names: { config: string; weights: string } = { config: ADAPTER_CONFIG_FILE, weights: ADAPTER_WEIGHTS_FILE },
): ParsedAdapter {
  const text = typeof files.config === 'string' ? files.config : decodeUtf8(files.config, names.config);
  const config = parseAdapterConfig(text, names.config);
  const { tensors } = parseSafetensors(files.weights, names.weights);
  const broken = nonFiniteTensorProblem(tensors);
  if (broken) throw new AdapterFileError(names.weights, broken);
  return { ...config, tensors, files: names };
}

export interface LoadAdapterOptions {
  adapterName?: string; // default 'default'
}

/**
 * Puts a parsed adapter on a model: a LlamaModel or SequenceClassifier gets a new LoraModel (a CAUSAL_LM
 * adapter on a classifier adapts its backbone); a LoraModel gets one more adapter (not made active, as PEFT's
 * load_adapter). Nothing is left behind when a check fails.
 */
export function loadParsedAdapter(
  target: AdaptableModel | LoraModel,
  parsed: ParsedAdapter,
  { adapterName = 'default' }: LoadAdapterOptions = {},
): LoraModel {
  if (target instanceof LoraModel && parsed.taskType === 'CAUSAL_LM' && target.taskType === 'SEQ_CLS') {
    throw new AdapterFileError(
      parsed.files.config,
      `task_type is "CAUSAL_LM": it cannot join a classifier's LoraModel (whose adapters train its head); load it onto the classifier's backbone`,
    );
  }
  // A language-model adapter on a classifier adapts its backbone, which the classifier runs.
  const host =
    !(target instanceof LoraModel) && parsed.taskType === 'CAUSAL_LM' && 'backbone' in target
      ? target.backbone
      : target;
  const lora = host instanceof LoraModel ? host : new LoraModel(host);
  const fresh = lora !== target;
  try {
    if (parsed.taskType === 'SEQ_CLS' && lora.taskType !== 'SEQ_CLS') {
      throw new AdapterFileError(
        parsed.files.config,
        'task_type is "SEQ_CLS" (a classification adapter): it needs a SequenceClassifier, this is a language model',
      );
    }
    try {
      lora.addAdapter(adapterName, parsed.config, { init: 'zeros' });
    } catch (error) {
      if (error instanceof LoraConfigError) {
        throw new AdapterFileError(parsed.files.config, withFileFieldNames(error.message));
      }
      throw error;
    }
    try {
      lora.loadAdapterStateDict(adapterName, parsed.tensors, parsed.files.weights);
    } catch (error) {
      lora.deleteAdapter(adapterName);
      throw error;
    }
  } catch (error) {
    if (fresh) lora.dispose();
    throw error;
  }
  return lora;
}

function decodeUtf8(bytes: Uint8Array, fileName: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new AdapterFileError(fileName, 'is not valid UTF-8 text');
  }
}
