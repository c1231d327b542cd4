import {
  type ClassificationDataset,
  nonEmptyDataset,
  type RawLabel,
  resolveLabels,
} from './classification-dataset.js';
import { DataFormatError } from './data-format-error.js';
import { expectFieldCount, parseDelimited } from './delimited-rows.js';
import { labelWordList } from './label-words.js';

/** AG News (Zhang, Zhao & LeCun 2015), classes.txt order; label = class index − 1. */
export const AG_NEWS_LABELS = ['World', 'Sports', 'Business', 'Sci/Tech'];

/**
 * Words of each AG News topic, for a zero-shot head over label words (see BROWN_TOPIC_LABEL_WORDS): generic
 * words of each beat written once from the class names, no names of people, companies or places, and not chosen
 * on any labelled set. Each is a word after a space.
 */
export const AG_NEWS_LABEL_WORDS: Readonly<Record<string, readonly string[]>> = {
  World: labelWordList(
    'government president minister war military country international officials killed election leaders troops peace nations capital',
  ),
  Sports: labelWordList(
    'game team season coach win players league championship score victory match cup football baseball tournament',
  ),
  Business: labelWordList(
    'company market stocks shares profit prices oil billion sales economy investors percent bank deal quarter',
  ),
  'Sci/Tech': labelWordList(
    'software computer internet technology users online web science space research wireless digital network data phone',
  ),
};

/**
 * An AG News CSV in either layout, told apart by the first row's width:
 * - the original ag_news_csv: `"class","title","description"`, class 1–4, no header;
 * - the Hugging Face layout (`fancyzhx/ag_news` exported to CSV): `text,label`, label 0–3, header optional.
 *
 * For the original layout, text = title + ' ' + description: exactly how the Hugging Face `text` column was
 * built, so the same article reads the same from either source. Text is kept as written, including the
 * backslashes that stand for the original line breaks ("dwindling\band") and entities such as `#39;`; the
 * Hugging Face copy keeps them too.
 */
export function parseAgNews(text: string, file: string): ClassificationDataset {
  let rows = parseDelimited(text, file, { delimiter: ',', quoted: true });
  const first = rows[0];
  if (!first) throw new DataFormatError(file, null, 'no examples: the file is empty');
  const width = first.fields.length;
  if (width !== 2 && width !== 3) {
    throw new DataFormatError(
      file,
      first.line,
      `expected "class","title","description" (3 fields) or text,label (2 fields), got ${width} fields`,
    );
  }
  if (width === 2 && first.fields[0] === 'text' && first.fields[1] === 'label') rows = rows.slice(1);
  for (const row of rows) expectFieldCount(row, width, file, 'comma-separated');

  let raw: RawLabel[];
  let texts: string[];
  if (width === 3) {
    // Class 1–4 → label 0–3, checked here so that a 0 or 5 is named as a class, not as an index.
    raw = rows.map(({ fields, line }) => {
      const value = fields[0]!.trim();
      if (!/^[1-4]$/.test(value)) {
        const classes = AG_NEWS_LABELS.map((name, i) => `${i + 1}=${name}`).join(', ');
        throw new DataFormatError(file, line, `unknown class ${JSON.stringify(value)} (classes: ${classes})`);
      }
      return { value: Number(value) - 1, line };
    });
    texts = rows.map(({ fields }) => `${fields[1]!.trim()} ${fields[2]!.trim()}`);
  } else {
    raw = rows.map(({ fields, line }) => ({ value: fields[1]!, line }));
    texts = rows.map(({ fields }) => fields[0]!.trim());
  }
  const { labels } = resolveLabels(raw, file, AG_NEWS_LABELS);
  const examples = texts.map((t, i) => ({ text: t, label: labels[i]! }));
  return nonEmptyDataset({ examples, labelNames: [...AG_NEWS_LABELS], source: file, labelled: true });
}
