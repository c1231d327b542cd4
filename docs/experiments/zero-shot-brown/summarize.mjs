// Prints docs/results.md's zero-shot table from runs/zero-shot-brown/*.json (eval classify --json).
import { readFileSync } from 'node:fs';

const counts = Object.values(JSON.parse(readFileSync('runs/zero-shot-brown/label-words.json', 'utf8'))).map(
  (words) => words.length,
);
const variants = [
  [
    'words-centred',
    `label words (${Math.min(...counts)}–${Math.max(...counts)} per topic), centred — the study’s`,
  ],
  ['words-plain', 'label words, not centred'],
  ['names-centred', 'the label names alone, centred'],
  ['names-plain', 'the label names alone, not centred'],
  ['words-centred-next-word', 'label words, centred, read after the passage’s last word ("{text}")'],
  ['names-label-prompt', 'the label names after "{text}\\nLabel:" (the study before)'],
];
// a 95% normal interval for an accuracy on n examples
const interval = (p, n) => {
  const half = 1.96 * Math.sqrt((p * (1 - p)) / n);
  return `${p.toFixed(3)} [${(p - half).toFixed(3)}, ${(p + half).toFixed(3)}]`;
};
console.log('| zero-shot head | in domain | out of domain | predicted classes (in domain) |');
console.log('| --- | --- | --- | --- |');
for (const [name, label] of variants) {
  const run = JSON.parse(readFileSync(`runs/zero-shot-brown/${name}.json`, 'utf8'));
  const ood = run.idOod.ood[0];
  const predicted = run.confusion[0].map((_, column) =>
    run.confusion.reduce((sum, row) => sum + row[column], 0),
  );
  console.log(
    `| ${label} | ${interval(run.accuracy, run.n)} | ${interval(ood.accuracy, ood.n)} | ${predicted.join(' / ')} |`,
  );
}
