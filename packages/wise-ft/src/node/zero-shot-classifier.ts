// The pretrained language model as a classifier on disk: its weights with a zero-shot head made from label
// words, centred on unlabelled in-domain texts, so that fine-tuning (`--head init`), evaluation and WiSE-FT
// (the classifier as the pretrained end) all start from the same zero-shot model.
import { join } from 'node:path';
import { meanPromptState, type PromptTemplate, verbalizerTokenIds } from '@mini-llama/eval';
import { saveClassifierHead } from '@mini-llama/eval/node';
import { writeAtomic } from '@mini-llama/formats/node';
import { loadModel, saveModel } from '@mini-llama/model/node';
import { copyTokenizerTo, tokenizerForModel } from '@mini-llama/tokenizer/node';
import { centredHead, labelWordsHead, lmHeadOf } from '../zero-shot-head.js';

export interface ZeroShotClassifierOptions {
  /** The pretrained language model: a path or `hf:` reference as loadModel takes it. */
  model: string;
  /** A tokenizer name or path; default: the one beside the model. */
  tokenizer?: string;
  /** The classifier's labels, in its order. */
  labelNames: readonly string[];
  /** How texts are read (the template) and each label's verbalizer (its word when no label words are given). */
  prompt: PromptTemplate;
  /**
   * Per label name, the words whose mean LM-head row is the label's row (a continuation of the prompt each,
   * written as a word after a space: " said"); a label without words uses its verbalizer.
   */
  labelWords?: Readonly<Record<string, readonly string[]>>;
  /** Unlabelled in-domain texts: their mean prompt state's direction is taken out of the head (centredHead). */
  centreOn?: readonly string[];
  /** Longest input in tokens (a longer text loses its start); default the model's context. */
  maxLength?: number;
  /** The classifier's directory: the weights (HF layout), the tokenizer, classifier.safetensors, labels.json. */
  out: string;
}

/** What went into a zero-shot head (also written as OUT/zero-shot.json). */
export interface ZeroShotHeadRecord {
  template: string;
  /** Per label, the words whose rows were averaged. */
  labelWords: string[][];
  /** How many unlabelled texts the head was centred on (0: not centred). */
  centredOn: number;
}

export const ZERO_SHOT_RECORD_FILE = 'zero-shot.json';

/** Builds and saves the zero-shot classifier; returns its directory and what its head is made of. */
export async function saveZeroShotClassifier(
  options: ZeroShotClassifierOptions,
): Promise<{ path: string; record: ZeroShotHeadRecord }> {
  const { labelNames, prompt, out } = options;
  if (prompt.verbalizers.length !== labelNames.length) {
    throw new Error(
      `zero-shot classifier: ${prompt.verbalizers.length} verbalizers for ${labelNames.length} labels (${labelNames.join(', ')})`,
    );
  }
  const unknown = Object.keys(options.labelWords ?? {}).filter((name) => !labelNames.includes(name));
  if (unknown.length > 0) {
    throw new Error(
      `zero-shot classifier: label words for ${unknown.join(', ')}, which are not labels of the task (${labelNames.join(', ')})`,
    );
  }
  const labelWords = labelNames.map((name, label) => {
    const words = options.labelWords?.[name] ?? [prompt.verbalizers[label]!];
    if (words.length === 0)
      throw new Error(`zero-shot classifier: label ${name} has an empty list of label words`);
    return [...words];
  });
  const { model } = await loadModel(options.model);
  try {
    const found = (await tokenizerForModel(options.model, {
      given: options.tokenizer,
      required: 'the label words and texts must be tokenized',
    }))!;
    const { tokenizer } = found;
    const tokens = labelWords.map((words) =>
      verbalizerTokenIds(tokenizer, { template: prompt.template, verbalizers: words }),
    );
    // only the LM head's tensor (the embeddings when tied), not a copy of every weight
    const headName = 'lm_head.weight' in model.parameters() ? 'lm_head.weight' : 'model.embed_tokens.weight';
    let head = labelWordsHead(lmHeadOf(await model.stateDict([headName])), tokens);
    const centreOn = options.centreOn ?? [];
    if (centreOn.length > 0) {
      const mean = await meanPromptState(model, tokenizer, centreOn, {
        template: prompt.template,
        maxLength: options.maxLength,
      });
      head = centredHead(head, mean);
    }
    await saveModel(model, out, { format: 'hf' });
    if (found.file) await copyTokenizerTo(found.file, out);
    await saveClassifierHead(out, head, { labelNames, prompt, maxLength: options.maxLength ?? null });
    const record: ZeroShotHeadRecord = { template: prompt.template, labelWords, centredOn: centreOn.length };
    await writeAtomic(join(out, ZERO_SHOT_RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
    return { path: out, record };
  } finally {
    model.dispose();
  }
}
