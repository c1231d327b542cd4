/** Softmax over one row of label scores (log-likelihoods): the labels' probabilities among themselves. */
export function labelProbabilities(scores: readonly number[]): number[] {
  if (scores.length === 0) throw new RangeError('labelProbabilities: no scores');
  const max = Math.max(...scores);
  const exps = scores.map((score) => Math.exp(score - max));
  const total = exps.reduce((sum, value) => sum + value, 0);
  return exps.map((value) => value / total);
}

/**
 * The label probabilities of content-free inputs, averaged: what the prompt alone leans towards. Zhao et al.
 * 2021 ("Calibrate before use", section 4) average "N/A", "" and "[MASK]"; `contentFreeInputs` may give any.
 */
export function meanLabelProbabilities(contentFreeScores: readonly (readonly number[])[]): number[] {
  if (contentFreeScores.length === 0) throw new RangeError('meanLabelProbabilities: no content-free scores');
  const rows = contentFreeScores.map(labelProbabilities);
  return rows[0]!.map((_, label) => rows.reduce((sum, row) => sum + row[label]!, 0) / rows.length);
}

/**
 * Contextual calibration (Zhao et al. 2021, eq. 2 with W = diag(p_cf)⁻¹, b = 0): each row's label
 * probabilities divided by the content-free ones and renormalised. Returns the calibrated log-probabilities
 * [rows][labels]; their argmax is the calibrated prediction. A prompt that favours a label for every input
 * (a majority-label or recency bias) no longer does: the content-free input is moved to the uniform
 * distribution, and every real input by the same factor.
 */
export function calibrateScores(
  scores: readonly (readonly number[])[],
  contentFreeProbabilities: readonly number[],
): number[][] {
  if (contentFreeProbabilities.some((p) => !(p > 0))) {
    throw new RangeError(
      `calibrateScores: content-free probabilities must be > 0, got [${contentFreeProbabilities.join(', ')}]`,
    );
  }
  return scores.map((row, index) => {
    if (row.length !== contentFreeProbabilities.length) {
      throw new RangeError(
        `calibrateScores: row ${index} has ${row.length} labels, the content-free probabilities ${contentFreeProbabilities.length}`,
      );
    }
    const calibrated = labelProbabilities(row).map((p, label) => p / contentFreeProbabilities[label]!);
    const total = calibrated.reduce((sum, value) => sum + value, 0);
    return calibrated.map((value) => Math.log(value / total));
  });
}

/** Index of the largest value (the first on ties). */
export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
