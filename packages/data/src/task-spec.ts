/**
 * Classification tasks a TASKSPEC can name, with the file layout each expects:
 * - sst2: GLUE SST-2 TSV (`sentence<TAB>label` + header; test.tsv unlabelled), or an HF Parquet split;
 * - ag_news: AG News CSV (`"class","title","description"` or `text,label`), or an HF Parquet split;
 * - minllama: `label ||| text` with `<prefix>-label-mapping.json` beside it when present;
 * - uci: UCI sentiment `sentence<TAB>label`, no header;
 * - tsv / csv / jsonl / parquet: generic, text and label columns (`text`, `label`, a common synonym such as
 *   `sentence`, or the columns the spec names: `csv:FILE?text=review&label=stars`);
 * - brown: the Brown corpus genre task; the "path" is a split, `id-train`, `id-test` or `ood`.
 */
export const CLASSIFICATION_TASKS = [
  'sst2',
  'ag_news',
  'minllama',
  'uci',
  'tsv',
  'csv',
  'jsonl',
  'parquet',
  'brown',
] as const;

export type ClassificationTask = (typeof CLASSIFICATION_TASKS)[number];

export interface TaskSpec {
  task: ClassificationTask;
  path: string;
  /** The generic tasks' text and label columns, when the file does not call them `text` and `label`. */
  columns?: { text?: string; label?: string };
}

const COLUMN_QUERY = /\?((?:text|label)=[^&=?]+(?:&(?:text|label)=[^&=?]+)*)$/;

/**
 * `task:path` → its parts, e.g. `sst2:../shared/data/sst2/dev.tsv`. Split at the first colon, so a path may
 * hold colons of its own; task names are two letters or more, so `C:\data\x.csv` is never taken for one. A
 * generic task may name its columns after the path: `csv:reviews.csv?text=sentence&label=polarity`.
 */
export function parseTaskSpec(spec: string): TaskSpec {
  const colon = spec.indexOf(':');
  const task = spec.slice(0, colon);
  let path = spec.slice(colon + 1);
  const query = COLUMN_QUERY.exec(path);
  let columns: TaskSpec['columns'];
  if (query) {
    if (!GENERIC_TASKS.includes(task)) {
      throw new Error(`task spec '${spec}': only ${GENERIC_TASKS.join(', ')} take columns (?text=…&label=…)`);
    }
    path = path.slice(0, query.index);
    columns = Object.fromEntries(query[1]!.split('&').map((pair) => pair.split('=') as [string, string]));
  }
  if (colon === -1 || path === '') {
    throw new Error(
      `task spec '${spec}': expected TASK:PATH with TASK one of ${CLASSIFICATION_TASKS.join(', ')}`,
    );
  }
  if (!(CLASSIFICATION_TASKS as readonly string[]).includes(task)) {
    throw new Error(
      `task spec '${spec}': unknown task '${task}' (tasks: ${CLASSIFICATION_TASKS.join(', ')})`,
    );
  }
  return { task: task as ClassificationTask, path, ...(columns ? { columns } : {}) };
}

/** The tasks with text and label columns a spec may name. */
const GENERIC_TASKS: readonly string[] = ['tsv', 'csv', 'jsonl', 'parquet'];

/** A spec back as text: `task:path`, with `?text=…&label=…` when it names columns. */
export function formatTaskSpec({ task, path, columns }: TaskSpec): string {
  const query = Object.entries(columns ?? {})
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  return `${task}:${path}${query ? `?${query}` : ''}`;
}
