// CFIMDB's dev reviews as a sentiment set with SST-2's label names, for the experiments that read CFIMDB out of
// domain (study-sentiment, zero-shot-sentiment): CFIMDB labels its reviews bad / good (cfimdb-label-mapping.json),
// the same classes SST-2 calls negative / positive.
// Usage: node docs/experiments/cfimdb-sentiment-jsonl.mjs DATA/minllama-sst5-cfimdb/cfimdb-dev.txt > cfimdb-dev.jsonl
import { readFileSync } from 'node:fs';

const [file] = process.argv.slice(2);
if (!file) throw new Error('usage: node cfimdb-sentiment-jsonl.mjs cfimdb-dev.txt');
const names = ['negative', 'positive'];
for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
  const [label, text] = line.split(' ||| ');
  console.log(JSON.stringify({ text: text.trim(), label: names[Number(label)] }));
}
