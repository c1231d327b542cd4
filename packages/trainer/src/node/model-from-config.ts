import { type LlamaConfig, presetConfig, resolveConfig } from '@mini-llama/formats';
import { LlamaModel } from '@mini-llama/model';
import { loadModel } from '@mini-llama/model/node';
import type { RunConfig } from '../run-config.js';

const SHAPE_FLAG: Record<string, string> = {
  dim: '--dim',
  nLayers: '--layers',
  nHeads: '--heads',
  vocabSize: '--vocab-size',
  maxSeqLen: '--seq-len',
};

/**
 * The model a run trains: the weights of `model.init`, or a fresh one from the preset and shape fields
 * (seeded by training.seed). A fresh model takes the data's vocabulary unless the shape says otherwise, and
 * the training length as its context when no preset or field sets one.
 */
export async function modelFromRunConfig(
  config: RunConfig,
  dataVocabSize: number | null,
): Promise<LlamaModel> {
  const { preset, init, ...shape } = config.model;
  const explicit = Object.fromEntries(
    Object.entries(shape).filter(([, value]) => value !== undefined),
  ) as Partial<LlamaConfig>;
  if (init) {
    const { model } = await loadModel(init);
    const conflicts = (Object.keys(explicit) as (keyof LlamaConfig)[]).filter(
      (key) => JSON.stringify(explicit[key]) !== JSON.stringify(model.config[key]),
    );
    if (conflicts.length > 0) {
      model.dispose();
      throw new Error(
        `model.init ${init}: its ${conflicts.map((k) => `${k} is ${JSON.stringify(model.config[k])}, not ${JSON.stringify(explicit[k])}`).join(', ')}`,
      );
    }
    return model;
  }
  const vocabSize = explicit.vocabSize ?? dataVocabSize ?? undefined;
  const withVocab: Partial<LlamaConfig> =
    vocabSize === undefined ? { ...explicit } : { ...explicit, vocabSize };
  if (!preset && withVocab.maxSeqLen === undefined && config.training.seqLen) {
    withVocab.maxSeqLen = config.training.seqLen;
  }
  let modelConfig: LlamaConfig;
  if (preset) modelConfig = presetConfig(preset, withVocab);
  else {
    const missing = (['dim', 'nLayers', 'nHeads', 'vocabSize', 'maxSeqLen'] as const).filter(
      (key) => withVocab[key] === undefined,
    );
    if (missing.length > 0) {
      throw new Error(
        `give --config PRESET, or the model shape: missing ${missing.map((key) => SHAPE_FLAG[key] ?? key).join(', ')}`,
      );
    }
    modelConfig = resolveConfig(withVocab as LlamaConfig);
  }
  return new LlamaModel(modelConfig, { seed: config.training.seed });
}
