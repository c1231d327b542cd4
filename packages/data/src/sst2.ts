import {
  type ClassificationDataset,
  nonEmptyDataset,
  resolveLabels,
  UNLABELLED,
} from './classification-dataset.js';
import { DataFormatError } from './data-format-error.js';
import { expectFieldCount, parseDelimited } from './delimited-rows.js';
import { labelWordList } from './label-words.js';

/** GLUE SST-2 (Socher et al. 2013; Wang et al. 2019): 0 negative, 1 positive. */
export const SST2_LABELS = ['negative', 'positive'];

/**
 * Words of each sentiment, for a zero-shot head over label words (see BROWN_TOPIC_LABEL_WORDS): common
 * evaluative words written once from general knowledge of English, not chosen on any labelled set. Each is a
 * word after a space; the same for every sentiment set labelled negative / positive (SST-2, the UCI sets).
 */
export const SENTIMENT_LABEL_WORDS: Readonly<Record<string, readonly string[]>> = {
  negative: labelWordList(
    'bad worst awful terrible boring poor waste dull disappointing worse mess fails stupid annoying ugly',
  ),
  positive: labelWordList(
    'good great best excellent wonderful fine love beautiful fun enjoyable perfect brilliant funny nice amazing',
  ),
};

/**
 * A GLUE SST-2 TSV: train.tsv and dev.tsv are `sentence<TAB>label` under that header; test.tsv is
 * `index<TAB>sentence`, without labels, and comes back with `labelled: false`. No quoting: sentences keep
 * their quotes as written. Sentences are trimmed (GLUE's end with a space before the tab).
 */
export function parseSst2(text: string, file: string): ClassificationDataset {
  const [header, ...rows] = parseDelimited(text, file, { delimiter: '\t', quoted: false });
  if (!header) throw new DataFormatError(file, null, 'no examples: the file is empty');
  const columns = header.fields.join('\t');
  if (columns === 'index\tsentence') {
    const examples = rows.map((row) => {
      expectFieldCount(row, 2, file, 'tab-separated');
      return { text: row.fields[1]!.trim(), label: UNLABELLED };
    });
    return nonEmptyDataset({ examples, labelNames: [...SST2_LABELS], source: file, labelled: false });
  }
  if (columns !== 'sentence\tlabel') {
    throw new DataFormatError(
      file,
      header.line,
      `expected the header 'sentence<TAB>label' (train/dev) or 'index<TAB>sentence' (test), got '${header.fields.join('<TAB>')}'`,
    );
  }
  for (const row of rows) expectFieldCount(row, 2, file, 'tab-separated');
  const { labels } = resolveLabels(
    rows.map((row) => ({ value: row.fields[1]!, line: row.line })),
    file,
    SST2_LABELS,
  );
  const examples = rows.map((row, i) => ({ text: row.fields[0]!.trim(), label: labels[i]! }));
  return nonEmptyDataset({ examples, labelNames: [...SST2_LABELS], source: file, labelled: true });
}
