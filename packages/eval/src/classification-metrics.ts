/** Precision, recall and F1 of one class (one-vs-rest), and how many examples it has. */
export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Examples whose true label is this class. */
  support: number;
  /** Examples predicted as this class. */
  predicted: number;
}

export interface ClassificationMetrics {
  n: number;
  accuracy: number;
  /**
   * Unweighted mean of the per-class F1 over the classes that occur among the labels or the predictions
   * (scikit-learn's `f1_score(average='macro')` default), so a class absent from a small sample and never
   * predicted does not count as a zero.
   */
  macroF1: number;
  perClass: ClassMetrics[];
  /** confusion[true][predicted]: counts, rows = true labels, columns = predictions. */
  confusion: number[][];
  labelNames: string[];
}

/** Counts of (true label, prediction) pairs: [numClasses][numClasses], rows true, columns predicted. */
export function confusionMatrix(
  labels: readonly number[],
  predictions: readonly number[],
  numClasses: number,
): number[][] {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`confusionMatrix: numClasses must be a positive integer, got ${numClasses}`);
  }
  if (labels.length !== predictions.length) {
    throw new RangeError(`confusionMatrix: ${labels.length} labels but ${predictions.length} predictions`);
  }
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  labels.forEach((label, i) => {
    const predicted = predictions[i]!;
    for (const [name, value] of [
      ['label', label],
      ['prediction', predicted],
    ] as const) {
      if (!Number.isInteger(value) || value < 0 || value >= numClasses) {
        throw new RangeError(
          `confusionMatrix: ${name} ${value} of example ${i} is not a class index in [0, ${numClasses})` +
            (name === 'label' && value === -1 ? ' (an unlabelled example: the set has no gold labels)' : ''),
        );
      }
    }
    matrix[label]![predicted]!++;
  });
  return matrix;
}

/**
 * Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix of predictions against
 * labels (class indices into `labelNames`). A ratio with a zero denominator (precision of a class never
 * predicted, recall of a class with no examples) is 0, as scikit-learn's `zero_division=0`.
 */
export function classificationMetrics(
  labels: readonly number[],
  predictions: readonly number[],
  labelNames: readonly string[],
): ClassificationMetrics {
  if (labels.length === 0) throw new RangeError('classificationMetrics: no examples');
  const confusion = confusionMatrix(labels, predictions, labelNames.length);
  const ratio = (numerator: number, denominator: number) => (denominator === 0 ? 0 : numerator / denominator);
  const perClass = labelNames.map((label, c) => {
    const truePositives = confusion[c]![c]!;
    const support = confusion[c]!.reduce((sum, count) => sum + count, 0);
    const predicted = confusion.reduce((sum, row) => sum + row[c]!, 0);
    const precision = ratio(truePositives, predicted);
    const recall = ratio(truePositives, support);
    return {
      label,
      precision,
      recall,
      f1: ratio(2 * precision * recall, precision + recall),
      support,
      predicted,
    };
  });
  const present = perClass.filter((metrics) => metrics.support > 0 || metrics.predicted > 0);
  const correct = labelNames.reduce((sum, _, c) => sum + confusion[c]![c]!, 0);
  return {
    n: labels.length,
    accuracy: correct / labels.length,
    macroF1: present.reduce((sum, metrics) => sum + metrics.f1, 0) / present.length,
    perClass,
    confusion,
    labelNames: [...labelNames],
  };
}
