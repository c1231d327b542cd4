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

/**
 * A zero-shot head from sets of label words (a prompt ensemble over verbalizers, as KPT expands label words:
 * Hu et al. 2022): row c is the mean, over label c's words, of each word's mean LM-head row. Its logit for a
 * text is the mean of the words' logits, i.e. the log of their geometric-mean probability up to a term every
 * label shares, so no single frequent word decides a label.
 *
 * labelWords: per label, per word, the word's tokens as they follow the prompt.
 */
export function labelWordsHead(
  lmHead: NamedTensor,
  labelWords: readonly (readonly (readonly number[])[])[],
): NamedTensor {
  if (labelWords.length < 2)
    throw new Error(`labelWordsHead: need at least 2 labels, got ${labelWords.length}`);
  labelWords.forEach((words, label) => {
    if (words.length === 0) throw new Error(`labelWordsHead: label ${label} has no label words`);
  });
  // every word's row at once (its tokens' mean row: verbalizerHead's 'mean'), then each label's words averaged
  const rows = verbalizerHead(lmHead, labelWords.flat(), 'mean');
  const dim = lmHead.shape[1]!;
  const data = new Float32Array(labelWords.length * dim);
  let row = 0; // the next word's row in `rows`
  labelWords.forEach((words, label) => {
    for (let end = row + words.length; row < end; row++) {
      for (let i = 0; i < dim; i++) data[label * dim + i]! += rows.data[row * dim + i]! / words.length;
    }
  });
  return { shape: [labelWords.length, dim], data };
}

/**
 * The head with one direction taken out of every row: w_c − (w_c·u)u for the unit vector u along `direction`.
 *
 * Domain-conditional calibration (Holtzman et al. 2021; Zhao et al. 2021 with real inputs instead of "N/A")
 * scores label c by w_c·h − E[w_c·h] over unlabelled in-domain texts, = w_c·(h − h̄): that needs a bias, which
 * HF's classification head does not have. Final-norm hidden states share a large component along their mean h̄
 * whose size varies little between texts, so removing h̄'s direction from the rows gives nearly the same
 * scores with a bias-free head — a head that fine-tuning, LoRA's saved modules and WiSE-FT treat as any other.
 * (Measured on the demo's pretrained model: the projection on h̄'s direction varies by 2% between texts, and
 * the two scorings agree on 97–99% of predictions of its validation, test and OOD passages.)
 *
 * head: `score.weight` [numLabels, dim]; direction: [dim] (e.g. the mean hidden state of in-domain texts).
 */
export function centredHead(head: NamedTensor, direction: Float32Array): NamedTensor {
  const [labels, dim] = head.shape as [number, number];
  if (head.shape.length !== 2 || direction.length !== dim) {
    throw new Error(`centredHead: a head of [${head.shape}] and a direction of ${direction.length} values`);
  }
  const norm = Math.hypot(...direction);
  if (!(norm > 0) || !Number.isFinite(norm)) {
    throw new Error(`centredHead: the direction must be finite and non-zero (its norm is ${norm})`);
  }
  const unit = direction.map((value) => value / norm);
  const data = new Float32Array(head.data);
  for (let label = 0; label < labels; label++) {
    const row = data.subarray(label * dim, (label + 1) * dim);
    let along = 0;
    for (let i = 0; i < dim; i++) along += row[i]! * unit[i]!;
    for (let i = 0; i < dim; i++) row[i]! -= along * unit[i]!;
  }
  return { shape: [labels, dim], data };
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
