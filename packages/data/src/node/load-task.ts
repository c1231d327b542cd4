import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describeFileError } from '@mini-llama/formats/node';
import { AG_NEWS_LABELS, parseAgNews } from '../ag-news.js';
import { BROWN_TOPIC_SPLITS, type BrownTopicSplit } from '../brown-topics.js';
import type { ClassificationDataset } from '../classification-dataset.js';
import { DataFormatError } from '../data-format-error.js';
import { parseJsonlClassification } from '../jsonl-classification.js';
import { parseLabelMapping, parseMinllama } from '../minllama.js';
import { parseParquetClassification } from '../parquet-classification.js';
import { parseSst2, SST2_LABELS } from '../sst2.js';
import type { ColumnOptions } from '../table-classification.js';
import { parseTableClassification } from '../table-classification.js';
import { type ClassificationTask, parseTaskSpec, type TaskSpec } from '../task-spec.js';
import { parseUciSentiment } from '../uci-sentiment.js';
import { loadBrownTopics } from './brown-corpus-files.js';
import { decodeUtf8 } from './utf8-text.js';

/**
 * Loads a classification dataset from a TASKSPEC (`sst2:../shared/data/sst2/dev.tsv`, `brown:ood`, …; see
 * CLASSIFICATION_TASKS) or its parsed form. `columns` applies to the generic tasks (tsv, csv, jsonl,
 * parquet) and overrides label names for minllama. Paths are taken relative to the working directory.
 */
export async function loadTask(
  spec: string | TaskSpec,
  columns: ColumnOptions = {},
): Promise<ClassificationDataset> {
  const parsed = typeof spec === 'string' ? parseTaskSpec(spec) : spec;
  const { task, path } = parsed;
  if (parsed.columns) {
    columns = {
      ...columns,
      ...(parsed.columns.text ? { textColumn: parsed.columns.text } : {}),
      ...(parsed.columns.label ? { labelColumn: parsed.columns.label } : {}),
    };
  }
  if (task === 'brown') {
    if (!(BROWN_TOPIC_SPLITS as readonly string[]).includes(path)) {
      throw new Error(
        `task spec 'brown:${path}': the Brown task takes a split, one of ${BROWN_TOPIC_SPLITS.join(', ')}`,
      );
    }
    return loadBrownTopics(path as BrownTopicSplit);
  }
  if (path.toLowerCase().endsWith('.parquet') || task === 'parquet') {
    return parseParquetClassification(await readBytes(path), path, parquetColumns(task, columns));
  }
  const text = await readText(path);
  switch (task as Exclude<ClassificationTask, 'brown' | 'parquet'>) {
    case 'sst2':
      return parseSst2(text, path);
    case 'ag_news':
      return parseAgNews(text, path);
    case 'uci':
      return parseUciSentiment(text, path);
    case 'minllama':
      return parseMinllama(text, path, columns.labelNames ?? (await minllamaLabelNames(path)));
    case 'tsv':
      return parseTableClassification(text, path, { ...columns, delimiter: '\t' });
    case 'csv':
      return parseTableClassification(text, path, { ...columns, delimiter: ',' });
    case 'jsonl':
      return parseJsonlClassification(text, path, columns);
  }
}

/** Hugging Face's columns for the named tasks (stanfordnlp/sst2: sentence, label; fancyzhx/ag_news: text, label). */
function parquetColumns(task: ClassificationTask, columns: ColumnOptions): ColumnOptions {
  if (task === 'sst2')
    return { textColumn: 'sentence', labelColumn: 'label', labelNames: SST2_LABELS, ...columns };
  if (task === 'ag_news')
    return { textColumn: 'text', labelColumn: 'label', labelNames: AG_NEWS_LABELS, ...columns };
  return columns;
}

/**
 * The minllama label mapping beside a data file: `sst-dev.txt` → `sst-label-mapping.json` (the name up to
 * its last '-'). Undefined when there is none (the names are then '0' … 'max').
 */
export async function minllamaLabelNames(path: string): Promise<string[] | undefined> {
  const name = basename(path);
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return undefined;
  const mappingPath = join(dirname(path), `${name.slice(0, dash)}-label-mapping.json`);
  let text: string;
  try {
    text = await readFile(mappingPath, 'utf8');
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DataFormatError(mappingPath, null, `invalid JSON: ${(error as Error).message}`);
  }
  return parseLabelMapping(json, mappingPath);
}

async function readText(path: string): Promise<string> {
  return decodeUtf8(await readBytes(path), path);
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new DataFormatError(path, null, `cannot read: ${describeFileError(error)}`);
  }
}
