// Writes the pretraining corpus of this experiment: unlabelled text only (labels are never read into it).
// TinyStories (the 1,000-story subset), the SST-2 training sentences, the CFIMDB training reviews and the
// AG News 5,000-article training sample. Held out of it: SST-2 dev, the UCI sets, AG News test, SST-5 / CFIMDB
// dev. Output: OUT/corpus.jsonl (one {"text"} per document) and OUT/lines.txt (one document per line, for
// the tokenizer).  Usage: node corpus.mjs ../shared/data OUT
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTask } from '../../../packages/data/dist/node/index.js';

const [data, out] = process.argv.slice(2);
if (!data || !out) throw new Error('usage: node corpus.mjs DATA_DIR OUT_DIR');
mkdirSync(out, { recursive: true });
const documents = [];
const stories = readFileSync(join(data, 'tinystories/tinystories_v1_train_first1000.txt'), 'utf8');
// no separator in this subset: its paragraphs (blank-line separated) are the documents
for (const paragraph of stories.split(/\n\s*\n/)) if (paragraph.trim()) documents.push(paragraph.trim());
const counts = { tinystories: documents.length };
for (const [name, spec] of [
  ['sst2', `sst2:${join(data, 'sst2/train.tsv')}`],
  ['cfimdb', `minllama:${join(data, 'minllama-sst5-cfimdb/cfimdb-train.txt')}`],
  ['ag_news', `csv:${join(data, 'ag_news/train_sample5000_hf.csv')}`],
]) {
  const { examples } = await loadTask(spec);
  for (const { text } of examples) documents.push(text.trim());
  counts[name] = examples.length;
}
writeFileSync(join(out, 'corpus.jsonl'), documents.map((text) => `${JSON.stringify({ text })}\n`).join(''));
writeFileSync(
  join(out, 'lines.txt'),
  documents.map((text) => `${text.replace(/\s*\n\s*/g, ' ')}\n`).join(''),
);
const bytes = documents.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
console.log(JSON.stringify({ documents: documents.length, bytes, counts }));
