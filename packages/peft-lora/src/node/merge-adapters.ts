import type { LlamaModel } from '@mini-llama/model';
import { AdapterFileError } from '../adapter-config-json.js';
import type { ParsedAdapter } from '../adapter-files.js';
import { savedModuleKey } from '../peft-keys.js';
import { loadAdapter, readAdapter } from './adapter-directory.js';

/**
 * Merges each adapter directory into the model, in order (W ← W + scale·B·A for each): the result computes
 * what the model with all of them stacked computes, at the base model's speed. Later adapters' modules to
 * save (an untied lm_head) replace earlier ones'. `onMerged` hears of each (its path and module count).
 */
export async function mergeAdapterDirectories(
  model: LlamaModel,
  directories: readonly string[],
  onMerged?: (directory: string, modules: number) => void,
): Promise<void> {
  for (const directory of directories) {
    const lora = await loadAdapter(model, directory);
    const modules = lora.targetModules().length;
    lora.mergeAndUnload();
    onMerged?.(directory, modules);
  }
}

/** An adapter directory read and checked (the files only), with its path. */
export async function readAdapterDirectory(directory: string): Promise<ParsedAdapter & { path: string }> {
  return { ...(await readAdapter(directory)), path: directory };
}

/** The label count of a classification (SEQ_CLS) adapter: the rows of its saved score head. */
export function adapterLabelCount(adapter: ParsedAdapter & { path: string }): number {
  const score = adapter.tensors.get(savedModuleKey('score'));
  if (score?.shape.length !== 2) {
    throw new AdapterFileError(
      adapter.path,
      `a SEQ_CLS adapter without ${savedModuleKey('score')} [labels, dim]`,
    );
  }
  return score.shape[0]!;
}
