// The study's data stage: the pretraining text and the classification sets, written as files the stages read.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  BROWN_TOPIC_LABELS,
  balancedSample,
  brownTopicSplit,
  type ClassificationExample,
  type ClassificationTask,
  formatTaskSpec,
  shuffle,
  type TaskSpec,
  untagBrown,
} from '@mini-llama/data';
import { loadBrownSamples, loadTask } from '@mini-llama/data/node';
import type { StudyPlan } from '../plan.js';
import type { StudyData } from '../results.js';

/** Another task than the Brown topics: SST-2 or AG News from files such as `mini-llama data get` writes. */
export interface StudyTask {
  task: 'sst2' | 'ag_news';
  /** The dataset's directory (absolute). */
  data: string;
  /** Out-of-domain sets (absolute TASKSPECs). */
  ood: readonly TaskSpec[];
}

/**
 * Writes DIR/corpus.txt (pretraining text, one document per line) and corpus.jsonl, DIR/heldout.txt (for
 * perplexity), DIR/train.tsv, DIR/val.tsv (choosing α) and DIR/test.tsv (+ DIR/ood.tsv for Brown): seeded samples of the task's splits.
 */
export async function writeStudyData(
  directory: string,
  plan: StudyPlan,
  task: StudyTask | null,
): Promise<StudyData> {
  await mkdir(directory, { recursive: true });
  const samples = await loadBrownSamples();
  const text = (split: string) =>
    samples
      .filter((sample) => brownTopicSplit(sample.file) === split)
      .map((sample) => untagBrown(sample.tagged));
  const corpus = text('id-train')
    .flatMap((document) => document.split(/\n\s*\n/))
    .map((paragraph) => paragraph.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
  await writeFile(join(directory, 'corpus.txt'), `${corpus.join('\n')}\n`); // for the tokenizer: a line each
  await writeFile(
    join(directory, 'corpus.jsonl'),
    corpus.map((line) => `${JSON.stringify({ text: line })}\n`).join(''),
  );
  // held-out text for perplexity: whole in-domain test files, about plan.heldoutBytes
  const heldout: string[] = [];
  for (const document of text('id-test')) {
    if (heldout.join('\n\n').length >= plan.heldoutBytes) break;
    heldout.push(document);
  }
  await writeFile(join(directory, 'heldout.txt'), `${heldout.join('\n\n')}\n`);
  const corpusBytes = corpus.reduce((sum, line) => sum + Buffer.byteLength(line), 0);

  const sample = (examples: readonly ClassificationExample[], n: number, seed: number) =>
    shuffle(examples, seed).slice(0, n);
  // training and validation examples: disjoint parts of one shuffle of the training split
  const trainAndVal = (examples: readonly ClassificationExample[], train: number, val: number) => {
    const shuffled = shuffle(examples, 1);
    if (shuffled.length < train + val) {
      throw new Error(
        `the training split has ${shuffled.length} examples, fewer than ${train} to train on and ${val} to choose α with`,
      );
    }
    return { train: shuffled.slice(0, train), val: shuffled.slice(train, train + val) };
  };
  const tsv = async (file: string, examples: readonly ClassificationExample[], names: readonly string[]) => {
    const clean = (value: string) => value.replace(/[\t\n\r]+/g, ' ').trim();
    await writeFile(
      join(directory, file),
      `text\tlabel\n${examples.map((e) => `${clean(e.text)}\t${names[e.label]}`).join('\n')}\n`,
    );
  };
  if (!task) {
    const names = BROWN_TOPIC_LABELS;
    const [train, test, ood] = await Promise.all(
      (['id-train', 'id-test', 'ood'] as const).map((split) => loadTask({ task: 'brown', path: split })),
    );
    // Balanced sets (as many passages of each topic): a set's majority-class rate is then 1/4, the line any
    // classifier, zero-shot or fine-tuned, has to clear; training and validation are disjoint.
    const perLabel = (n: number) => Math.floor(n / names.length);
    const pool = balancedSample(
      train!.examples,
      perLabel(plan.examples.train + plan.examples.val),
      names.length,
      1,
    );
    const val = balancedSample(pool, perLabel(plan.examples.val), names.length, 4);
    const picked = {
      train: pool.filter((example) => !val.includes(example)),
      val,
      test: balancedSample(test!.examples, perLabel(plan.examples.test), names.length, 2),
      ood: balancedSample(ood!.examples, perLabel(plan.examples.ood), names.length, 3),
    };
    await tsv('train.tsv', picked.train, names);
    await tsv('val.tsv', picked.val, names);
    await tsv('test.tsv', picked.test, names);
    await tsv('ood.tsv', picked.ood, names);
    return {
      task: 'Brown topics (press, nonfiction, learned, fiction; balanced sets)',
      corpusDocuments: corpus.length,
      corpusBytes,
      labelNames: [...names].sort(), // the order the TSV files give the classifiers (label names sorted)
      sizes: { train: picked.train.length, val: picked.val.length, test: picked.test.length },
      ood: [
        {
          name: 'ood.tsv (held-out genres)',
          spec: `tsv:${join(directory, 'ood.tsv')}`,
          n: picked.ood.length,
        },
      ],
    };
  }
  const files = await taskFiles(task.task, task.data);
  const train = await loadTask({ task: task.task as ClassificationTask, path: files.train });
  const test = await loadTask({ task: task.task as ClassificationTask, path: files.test });
  const picked = {
    ...trainAndVal(train.examples, plan.examples.train * 2, plan.examples.val * 2),
    test: sample(test.examples, plan.examples.test * 2, 2),
  };
  await tsv('train.tsv', picked.train, train.labelNames);
  await tsv('val.tsv', picked.val, train.labelNames);
  await tsv('test.tsv', picked.test, train.labelNames);
  const ood = [];
  for (const spec of task.ood) {
    const { examples } = await loadTask(spec);
    ood.push({ name: basename(spec.path), spec: formatTaskSpec(spec), n: examples.length });
  }
  return {
    task: `${task.task} (${task.data})`,
    corpusDocuments: corpus.length,
    corpusBytes,
    labelNames: train.labelNames,
    sizes: { train: picked.train.length, val: picked.val.length, test: picked.test.length },
    ood,
  };
}

async function taskFiles(
  task: StudyTask['task'],
  directory: string,
): Promise<{ train: string; test: string }> {
  const pick = async (names: string[], what: string) => {
    for (const name of names) {
      if (await stat(join(directory, name)).catch(() => null)) return join(directory, name);
    }
    throw new Error(`--data ${directory}: no ${what} file (looked for ${names.join(', ')})`);
  };
  if (task === 'sst2')
    return { train: await pick(['train.tsv'], 'training'), test: await pick(['dev.tsv'], 'dev') };
  return {
    train: await pick(['train.csv', 'train_sample5000_hf.csv', 'train_head581.csv'], 'training'),
    test: await pick(['test.csv'], 'test'),
  };
}
