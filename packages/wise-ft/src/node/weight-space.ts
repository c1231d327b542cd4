// The two ends of a weight-space ensemble (WiSE-FT) and the models of a soup, as state dicts: a classifier
// fine-tuned in full, a base with a LoRA adapter (classification or LM), or a fine-tuned language model.
import { join } from 'node:path';
import type { EvalSet } from '@mini-llama/data/node';
import {
  classifierPredictor,
  type Predictor,
  promptForTask,
  verbalizerTokenIds,
  zeroShotPredictor,
} from '@mini-llama/eval';
import {
  type ClassifierLabels,
  LABELS_FILE,
  readClassifierHead,
  readClassifierLabels,
} from '@mini-llama/eval/node';
import type { LlamaConfig, NamedTensor, StateDict } from '@mini-llama/formats';
import { readWeightFile } from '@mini-llama/formats/node';
import { LlamaModel, SequenceClassifier } from '@mini-llama/model';
import { adapterLabelCount, loadAdapter, readAdapterDirectory } from '@mini-llama/peft-lora/node';
import type { Tokenizer } from '@mini-llama/tokenizer';
import { backboneOnly, interpolateStateDicts } from '../interpolate.js';
import { interpolateLowRank, type LowRankUpdate } from '../low-rank.js';
import { zeroShotClassifierState } from '../zero-shot-head.js';

/** A model as weights only: a classifier (backbone + score.weight) or a language model. */
export interface WeightModel {
  path: string;
  config: LlamaConfig;
  state: StateDict;
  /** Set for a classifier: its label names, the prompt it was fine-tuned in (null: raw texts), its maxLength. */
  classifier: ClassifierLabels | null;
}

/**
 * Reads a model's weights, and its classification head when `mini-llama finetune --task` saved one beside
 * them (classifier.safetensors + labels.json).
 */
export async function readWeightModel(path: string): Promise<WeightModel> {
  const { config, stateDict } = await readWeightFile(path);
  const head = await readClassifierHead(path, config.dim);
  if (!head) return { path, config, state: stateDict, classifier: null };
  const state: StateDict = new Map(stateDict);
  state.set('score.weight', head.scoreWeight);
  return { path, config, state, classifier: head.labels };
}

/** θ(α) between a pretrained model and a fine-tuned one, with what it is (classifier or LM). */
export interface WiseFtEnds {
  config: LlamaConfig;
  classifier: ClassifierLabels | null;
  /**
   * How the pretrained end got its head, for the report: the zero-shot head, the fine-tuned head (backbone
   * only), or its own (the pretrained end is a classifier itself, e.g. a linear probe: WiSE-FT of LP-FT).
   */
  pretrainedHead: 'zero-shot' | 'fine-tuned (backbone only)' | 'its own' | null;
  at(alpha: number): StateDict;
}

/** Where the two ends come from (absolute paths): the pretrained model, and a fine-tuned model or an adapter. */
export interface WiseFtSources {
  pretrained: string;
  finetuned?: string;
  adapter?: string;
  backboneOnly: boolean;
}

/**
 * The two ends. For a classifier, the pretrained model becomes a classifier through its zero-shot head (the
 * LM-head rows of the fine-tuned classifier's verbalizers, in its prompt), as WiSE-FT does with CLIP's
 * zero-shot head; with `backboneOnly` the fine-tuned head is kept at every α instead. An adapter's end is
 * never materialised: θ(α) = W₀ + α·scale·B·A.
 */
export async function wiseFtEnds(sources: WiseFtSources, tokenizer: Tokenizer): Promise<WiseFtEnds> {
  const pre = await readWeightModel(sources.pretrained);
  const include = sources.backboneOnly ? backboneOnly : undefined;
  if (pre.classifier) return classifierEnds(pre, sources, include);

  if (sources.finetuned) {
    const ft = await readWeightModel(sources.finetuned);
    const names: [string, string] = [`pretrained ${sources.pretrained}`, `fine-tuned ${sources.finetuned}`];
    if (!ft.classifier) {
      return {
        config: ft.config,
        classifier: null,
        pretrainedHead: null,
        at: (alpha) => interpolateStateDicts(pre.state, ft.state, alpha, { include, names }),
      };
    }
    const preClassifier = classifierStart(
      pre.state,
      ft.state.get('score.weight')!,
      ft.classifier,
      sources,
      tokenizer,
    );
    return {
      config: ft.config,
      classifier: ft.classifier,
      pretrainedHead: sources.backboneOnly ? 'fine-tuned (backbone only)' : 'zero-shot',
      at: (alpha) => interpolateStateDicts(preClassifier, ft.state, alpha, { include, names }),
    };
  }

  const adapter = await readAdapterDirectory(sources.adapter!);
  const { updates, saved, labels } = await adapterUpdates(pre, adapter);
  const withSaved = (state: StateDict) => {
    const out: StateDict = new Map(state);
    for (const [name, tensor] of saved) out.set(name, tensor);
    return out;
  };
  const names: [string, string] = [`pretrained ${sources.pretrained}`, `adapter ${sources.adapter}`];
  const at = (start: StateDict) => (alpha: number) =>
    interpolateLowRank(
      interpolateStateDicts(start, withSaved(start), alpha, { include, names }),
      updates,
      alpha,
    );
  if (!labels) return { config: pre.config, classifier: null, pretrainedHead: null, at: at(pre.state) };
  const start = classifierStart(pre.state, saved.get('score.weight')!, labels, sources, tokenizer);
  return {
    config: pre.config,
    classifier: labels,
    pretrainedHead: sources.backboneOnly ? 'fine-tuned (backbone only)' : 'zero-shot',
    at: at(start),
  };
}

/**
 * Two classifiers of the same labels, read as they are: a linear probe (head trained on frozen features) and
 * the fine-tune started from it (LP-FT, Kumar et al. 2022), the probe's head at α = 0. Both must read their texts
 * the same way (the same prompt), or θ(α) would mix two input formats.
 */
async function classifierEnds(
  pre: WeightModel,
  sources: WiseFtSources,
  include: typeof backboneOnly | undefined,
): Promise<WiseFtEnds> {
  const preLabels = pre.classifier!;
  if (!sources.finetuned) {
    throw new Error(
      `the pretrained model ${sources.pretrained} has a classification head: an adapter's pretrained end must be the language model it was trained on`,
    );
  }
  const ft = await readWeightModel(sources.finetuned);
  if (!ft.classifier) {
    throw new Error(
      `the pretrained model ${sources.pretrained} is a classifier but ${sources.finetuned} is a language model: give the language model it was fine-tuned from`,
    );
  }
  if (preLabels.labelNames.join('\n') !== ft.classifier.labelNames.join('\n')) {
    throw new Error(
      `${sources.pretrained} classifies ${preLabels.labelNames.join(', ')}, ${sources.finetuned} ${ft.classifier.labelNames.join(', ')}: the two ends must share their labels, in order`,
    );
  }
  if ((preLabels.prompt?.template ?? null) !== (ft.classifier.prompt?.template ?? null)) {
    throw new Error(
      `${sources.pretrained} and ${sources.finetuned} read their texts differently (prompts ${JSON.stringify(preLabels.prompt?.template ?? null)} and ${JSON.stringify(ft.classifier.prompt?.template ?? null)}): fine-tune from the probe with --head init`,
    );
  }
  const names: [string, string] = [`pretrained ${sources.pretrained}`, `fine-tuned ${sources.finetuned}`];
  return {
    config: ft.config,
    classifier: ft.classifier,
    pretrainedHead: sources.backboneOnly ? 'fine-tuned (backbone only)' : 'its own',
    at: (alpha) => interpolateStateDicts(pre.state, ft.state, alpha, { include, names }),
  };
}

/** The pretrained end as a classifier: its zero-shot head, or (backbone only) the fine-tuned head. */
function classifierStart(
  pretrained: StateDict,
  fineTunedHead: NamedTensor,
  labels: ClassifierLabels,
  sources: WiseFtSources,
  tokenizer: Tokenizer,
): StateDict {
  if (sources.backboneOnly) return new Map(pretrained).set('score.weight', fineTunedHead);
  if (!labels.prompt) {
    throw new Error(
      `${sources.finetuned ?? sources.adapter}: the classifier was fine-tuned without a prompt (its labels.json has none), so the pretrained model has no zero-shot head that matches it: fine-tune with --head zero-shot, or interpolate the backbone only with --backbone-only`,
    );
  }
  return zeroShotClassifierState(pretrained, verbalizerTokenIds(tokenizer, labels.prompt));
}

/** An adapter's low-rank updates (state-dict layout) and saved modules, read through a LoraModel. */
async function adapterUpdates(
  pre: WeightModel,
  adapter: Awaited<ReturnType<typeof readAdapterDirectory>>,
): Promise<{
  updates: LowRankUpdate[];
  saved: StateDict;
  labels: ClassifierLabels | null;
}> {
  const model = new LlamaModel(pre.config, { init: 'none' });
  const numLabels = adapter.taskType === 'SEQ_CLS' ? adapterLabelCount(adapter) : null;
  const classifier = numLabels ? new SequenceClassifier(model, numLabels) : null;
  try {
    model.loadStateDict(pre.state, pre.path);
    const lora = await loadAdapter(classifier ?? model, adapter.path);
    const result = await lora.lowRankUpdates();
    lora.dispose();
    const labels = numLabels ? await readClassifierLabels(join(adapter.path, LABELS_FILE), numLabels) : null;
    return { ...result, labels };
  } finally {
    classifier?.dispose();
    model.dispose();
  }
}

/**
 * How the models of a weight-space ensemble classify: a classifier reads the texts as it was fine-tuned on them
 * (in its prompt, cut to its length); a language model scores the task's label words (zero-shot).
 */
export function predictorFor(
  model: LlamaModel,
  classifier: SequenceClassifier | null,
  labels: ClassifierLabels | null,
  tokenizer: Tokenizer,
  set: EvalSet,
  batchSize = 16,
): Predictor {
  if (classifier) {
    return classifierPredictor(classifier, tokenizer, {
      batchSize,
      template: labels?.prompt?.template,
      maxLength: labels?.maxLength ?? undefined,
    });
  }
  return zeroShotPredictor(model, tokenizer, promptForTask(set.task, set.dataset.labelNames), { batchSize });
}
