import { type ClassificationDataset, nonEmptyDataset, resolveLabels } from './classification-dataset.js';
import { expectFieldCount, parseDelimited } from './delimited-rows.js';

export const UCI_SENTIMENT_LABELS = ['negative', 'positive'];

/**
 * UCI "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015): amazon_cells/imdb/yelp_labelled.txt,
 * `sentence<TAB>label` (0 negative, 1 positive), no header, no quoting.
 */
export function parseUciSentiment(text: string, file: string): ClassificationDataset {
  const rows = parseDelimited(text, file, { delimiter: '\t', quoted: false });
  for (const row of rows) expectFieldCount(row, 2, file, 'tab-separated');
  const { labels } = resolveLabels(
    rows.map((row) => ({ value: row.fields[1]!, line: row.line })),
    file,
    UCI_SENTIMENT_LABELS,
  );
  const examples = rows.map((row, i) => ({ text: row.fields[0]!.trim(), label: labels[i]! }));
  return nonEmptyDataset({ examples, labelNames: [...UCI_SENTIMENT_LABELS], source: file, labelled: true });
}
