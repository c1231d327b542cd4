import { homedir } from 'node:os';
import { join } from 'node:path';

/** One file of a Hugging Face dataset repository. */
export interface HubDatasetFile {
  /** Path inside the repository. */
  path: string;
  split: string;
  /**
   * Expected SHA-256 (hex). Unset means trust on first use: the first download's hash is recorded in the
   * cache manifest and every later use must match it.
   */
  sha256?: string;
}

export interface HubDataset {
  name: string;
  /** owner/name on the Hub. */
  repo: string;
  /** Branch, tag or commit. A commit makes the download reproducible; `main` follows the repository. */
  revision: string;
  /** The task spec prefix that reads these files (`sst2:FILE`, `ag_news:FILE`). */
  task: string;
  files: HubDatasetFile[];
}

/**
 * Datasets `mini-llama data get` knows, as the files that the Hub serves for them. The sst2 and ag_news file
 * lists follow the repositories' dataset cards (`configs: data_files: data/train-*` …), with no checksums
 * pinned: this package was built on a machine without access to the Hub, so none could be taken from the real
 * files, and an invented one would only fail. sst5's come from its repository's own record of them.
 */
export const HUB_DATASETS = {
  sst2: {
    name: 'sst2',
    repo: 'stanfordnlp/sst2',
    revision: 'main',
    task: 'sst2',
    files: [
      { path: 'data/train-00000-of-00001.parquet', split: 'train' },
      { path: 'data/validation-00000-of-00001.parquet', split: 'validation' },
      { path: 'data/test-00000-of-00001.parquet', split: 'test' },
    ],
  },
  ag_news: {
    name: 'ag_news',
    repo: 'fancyzhx/ag_news',
    revision: 'main',
    task: 'ag_news',
    files: [
      { path: 'data/train-00000-of-00001.parquet', split: 'train' },
      { path: 'data/test-00000-of-00001.parquet', split: 'test' },
    ],
  },
  // SST-5 (the five-way Stanford Sentiment Treebank at sentence level, 8,544 / 1,101 / 2,210: the split minllama
  // uses) as SetFit's JSON lines ({"text", "label": 0 very negative … 4 very positive, "label_text"}). Pinned to
  // a commit, with the SHA-256 of each file as that commit's dataset_info.json records it.
  sst5: {
    name: 'sst5',
    repo: 'SetFit/sst5',
    revision: 'e51bdcd8cd3a30da231967c1a249ba59361279a3',
    task: 'jsonl',
    files: [
      {
        path: 'train.jsonl',
        split: 'train',
        sha256: '46bde4fb5abc93ffbadfa9a9f67de17c08a2f535cfb5756c59188d070434f433',
      },
      {
        path: 'dev.jsonl',
        split: 'validation',
        sha256: '4369df4d4229e736fa734af49b342c7d6002c4d8514d9c206a5aa26edc620b79',
      },
      {
        path: 'test.jsonl',
        split: 'test',
        sha256: '1384216112a34f3d70b6fa210762f3399bb080410c0456ac6e54a5cb413f04b2',
      },
    ],
  },
} as const satisfies Record<string, HubDataset>;

export type HubDatasetName = keyof typeof HUB_DATASETS;

export const HUB_DATASET_NAMES = Object.keys(HUB_DATASETS) as HubDatasetName[];

/** The Hub, or a mirror with the same URL layout (the `HF_ENDPOINT` convention of huggingface_hub). */
export const DEFAULT_HUB_URL = 'https://huggingface.co';

/** `{base}/datasets/{repo}/resolve/{revision}/{path}`: the Hub's URL for one raw file of a dataset repo. */
export function hubFileUrl(baseUrl: string, dataset: HubDataset, path: string): string {
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return `${baseUrl.replace(/\/+$/, '')}/datasets/${dataset.repo}/resolve/${encodeURIComponent(dataset.revision)}/${encoded}`;
}

/**
 * Where downloaded datasets are cached: `$MINI_LLAMA_CACHE/datasets` when that is set, else
 * `$XDG_CACHE_HOME/mini-llama/datasets`, else `~/.cache/mini-llama/datasets`.
 */
export function defaultDatasetCache(env: Record<string, string | undefined> = process.env): string {
  if (env['MINI_LLAMA_CACHE']) return join(env['MINI_LLAMA_CACHE'], 'datasets');
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'mini-llama', 'datasets');
}
