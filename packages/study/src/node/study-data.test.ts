import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadTask } from '@mini-llama/data/node';
import { temporaryDirectory } from '@mini-llama/test-utils';
import { describe, expect, it } from 'vitest';
import { STUDY_PLANS } from '../plan.js';
import { writeStudyData } from './study-data.js';

describe('writeStudyData', () => {
  it('writes the Brown study: pretraining text from the in-domain training files, seeded samples of each split', async () => {
    const directory = await temporaryDirectory();
    const plan = STUDY_PLANS.quick;
    const data = await writeStudyData(directory, plan, null);
    expect(data.sizes).toEqual({
      train: plan.examples.train,
      val: plan.examples.val,
      test: plan.examples.test,
    });
    expect(data.labelNames).toEqual(['fiction', 'learned', 'nonfiction', 'press']);
    expect(data.ood).toEqual([
      { name: 'ood.tsv (held-out genres)', spec: `tsv:${join(directory, 'ood.tsv')}`, n: plan.examples.ood },
    ]);
    const corpus = (await readFile(join(directory, 'corpus.txt'), 'utf8')).trim().split('\n');
    expect(corpus).toHaveLength(data.corpusDocuments);
    const jsonl = (await readFile(join(directory, 'corpus.jsonl'), 'utf8')).trim().split('\n');
    expect(jsonl.map((line) => JSON.parse(line).text)).toEqual(corpus);
    const heldout = await readFile(join(directory, 'heldout.txt'), 'utf8');
    expect(heldout.length).toBeGreaterThanOrEqual(plan.heldoutBytes);
    // no pretraining paragraph is a held-out one: the two come from different files
    expect(corpus.some((paragraph) => heldout.includes(paragraph) && paragraph.length > 200)).toBe(false);
    const train = await loadTask({ task: 'tsv', path: join(directory, 'train.tsv') });
    expect(train.examples).toHaveLength(plan.examples.train);
    expect(train.labelNames).toEqual(data.labelNames);
    // the validation examples that choose α are held out of training
    const val = await loadTask({ task: 'tsv', path: join(directory, 'val.tsv') });
    expect(val.examples).toHaveLength(plan.examples.val);
    const trained = new Set(train.examples.map((example) => example.text));
    expect(val.examples.filter((example) => trained.has(example.text))).toEqual([]);
    // every set is balanced: as many passages of each topic
    for (const file of ['train.tsv', 'val.tsv', 'test.tsv', 'ood.tsv']) {
      const { examples } = await loadTask({ task: 'tsv', path: join(directory, file) });
      const counts = data.labelNames.map((_, label) => examples.filter((e) => e.label === label).length);
      expect(new Set(counts).size, file).toBe(1);
    }
    // seeded: the same files again
    const again = await temporaryDirectory();
    await writeStudyData(again, plan, null);
    expect(await readFile(join(again, 'test.tsv'), 'utf8')).toBe(
      await readFile(join(directory, 'test.tsv'), 'utf8'),
    );
  });
});
