import type { NamedTensor, StateDict } from '@mini-llama/formats';

/** How a label whose verbalizer is several tokens long gets one row. */
export type VerbalizerRowMode = 'first' | 'mean';

/**
 * A zero-shot classification head from the language-model head: row c is the LM-head row of label c's
 * verbalizer token (the first one, or the mean over its tokens). With the prompt the verbalizers were chosen
 * for, a classifier with this head picks the label whose (first) verbalizer token the language model finds
 * most likely next, so the pretrained model becomes a classifier without training, as CLIP's zero-shot head
 * does for WiSE-FT. The result is `score.weight` [numLabels, dim] in HF layout.
 *
 * lmHead: `lm_head.weight` [vocab, dim] (or the embedding when the head is tied).
 */
export function verbalizerHead(
  lmHead: NamedTensor,
  labelTokens: readonly (readonly number[])[],
  mode: VerbalizerRowMode = 'first',
): NamedTensor {
  const [vocab, dim] = lmHead.shape as [number, number];
  if (lmHead.shape.length !== 2)
    throw new Error(`verbalizerHead: the LM head must be 2-D, got [${lmHead.shape}]`);
  if (labelTokens.length < 2)
    throw new Error(`verbalizerHead: need at least 2 labels, got ${labelTokens.length}`);
  const data = new Float32Array(labelTokens.length * dim);
  labelTokens.forEach((tokens, label) => {
    if (tokens.length === 0) throw new Error(`verbalizerHead: label ${label} has no verbalizer tokens`);
    const used = mode === 'first' ? tokens.slice(0, 1) : tokens;
    for (const token of used) {
      if (!Number.isInteger(token) || token < 0 || token >= vocab) {
        throw new Error(
          `verbalizerHead: label ${label} has token ${token}, outside the vocabulary of ${vocab}`,
        );
      }
      const row = lmHead.data.subarray(token * dim, (token + 1) * dim);
      for (let i = 0; i < dim; i++) data[label * dim + i]! += row[i]! / used.length;
    }
  });
  return { shape: [labelTokens.length, dim], data };
}

/** The LM head of a state dict: `lm_head.weight`, or the token embedding when the two are tied. */
export function lmHeadOf(state: StateDict): NamedTensor {
  const head = state.get('lm_head.weight') ?? state.get('model.embed_tokens.weight');
  if (!head) throw new Error('the model has neither lm_head.weight nor model.embed_tokens.weight');
  return head;
}

/**
 * The pretrained language model as a classifier: all its tensors plus a `score.weight` made from the
 * verbalizer rows of its LM head (the same names a SequenceClassifier's state dict has).
 */
export function zeroShotClassifierState(
  languageModel: StateDict,
  labelTokens: readonly (readonly number[])[],
  mode: VerbalizerRowMode = 'first',
): StateDict {
  const head = verbalizerHead(lmHeadOf(languageModel), labelTokens, mode);
  const out: StateDict = new Map(languageModel);
  out.set('score.weight', head);
  return out;
}
