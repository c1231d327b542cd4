import { readFileSync } from 'node:fs';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { fixture } from '../test/shared-data.js';
import { UNLABELLED } from './classification-dataset.js';
import { parseParquetClassification } from './parquet-classification.js';

describe('parseParquetClassification', () => {
  it('reads Hugging Face columns and the ClassLabel names in the file metadata', async () => {
    const dataset = await parseParquetClassification(
      readFileSync(fixture('sst2-train.parquet')),
      'train.parquet',
      {
        textColumn: 'sentence',
      },
    );
    expect(dataset.labelNames).toEqual(['negative', 'positive']);
    expect(dataset.examples.map(({ label }) => label)).toEqual([1, 0, 1, 0, 1]);
    expect(dataset.examples[0]!.text).toBe('a warm , funny little film');

    const agNews = await parseParquetClassification(
      readFileSync(fixture('ag_news-test.parquet')),
      'test.parquet',
    );
    expect(agNews.labelNames).toEqual(['World', 'Sports', 'Business', 'Sci/Tech']);
    expect(agNews.examples.map(({ label }) => label)).toEqual([0, 1, 2, 3]);
  });

  it('reads a split of -1 labels (hidden test labels) as unlabelled', async () => {
    const dataset = await parseParquetClassification(
      readFileSync(fixture('sst2-test.parquet')),
      'test.parquet',
      {
        textColumn: 'sentence',
      },
    );
    expect(dataset.labelled).toBe(false);
    expect(dataset.examples.every(({ label }) => label === UNLABELLED)).toBe(true);
  });

  it('infers names without metadata, and names missing columns and unknown labels', async () => {
    const bytes = parquetWriteBuffer({
      columnData: [
        { name: 'review', data: ['good', 'bad', 'fine'], type: 'STRING' },
        { name: 'stars', data: ['pos', 'neg', 'pos'], type: 'STRING' },
      ],
    });
    const options = { textColumn: 'review', labelColumn: 'stars' };
    const dataset = await parseParquetClassification(bytes, 'r.parquet', options);
    expect(dataset.labelNames).toEqual(['neg', 'pos']);
    expect(dataset.examples.map(({ label }) => label)).toEqual([1, 0, 1]);
    await expect(parseParquetClassification(bytes, 'r.parquet')).rejects.toThrow(
      "r.parquet: missing column 'text' (columns: review, stars)",
    );
    await expect(
      parseParquetClassification(bytes, 'r.parquet', { ...options, labelNames: ['pos'] }),
    ).rejects.toThrow('r.parquet: row 2: unknown label "neg" (labels: 0=pos)');
    await expect(parseParquetClassification(new Uint8Array([1, 2, 3]), 'junk.parquet')).rejects.toThrow(
      /^junk\.parquet: not a readable Parquet file/,
    );
  });
});
