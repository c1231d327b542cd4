// Prints the tables of docs/results.md's WiSE-FT section from the files run.sh leaves in runs/wiseft/eval.
// Usage: node summarize.mjs [runs/wiseft]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2] ?? 'runs/wiseft';
const read = (name) => JSON.parse(readFileSync(join(root, 'eval', name), 'utf8'));
const f = (x) => (x === null || x === undefined ? '' : x.toFixed(4));
const oodCells = (report) => {
  const byName = Object.fromEntries((report.idOod?.ood ?? []).map((entry) => [entry.name, entry.accuracy]));
  return ['amazon_cells_labelled.txt', 'imdb_labelled.txt', 'yelp_labelled.txt'].map((file) =>
    f(byName[`uci:${file}`]),
  );
};

console.log('| model | SST-2 dev (ID) | Amazon | IMDB | Yelp | OOD mean |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const [label, file] of [
  ['zero-shot (label words)', 'zs-sst2.json'],
  ['zero-shot, calibrated', 'zs-sst2-calibrated.json'],
]) {
  const r = read(file);
  console.log(
    `| ${label} | ${f(r.accuracy)} | ${oodCells(r).join(' | ')} | ${f(r.idOod.oodMean.accuracy)} |`,
  );
}
for (const [label, file] of [
  ['full fine-tuning', 'wiseft-full.json'],
  ['LoRA', 'wiseft-lora.json'],
]) {
  const sweep = read(file);
  const at = (alpha) => sweep.results.find((line) => line.alpha === alpha);
  for (const [name, line] of [
    [`${label}: α = 0 (zero-shot head)`, at(0)],
    [`${label}: α = 1 (fine-tuned)`, at(1)],
    [`${label}: WiSE-FT α = ${sweep.chosenAlpha} (chosen on SST-2 dev)`, sweep.chosen],
  ]) {
    const names = Object.keys(line.accuracy);
    console.log(`| ${name} | ${names.map((n) => f(line.accuracy[n])).join(' | ')} | ${f(line.oodMean)} |`);
  }
}
console.log('\nα sweep (accuracy):\n');
const full = read('wiseft-full.json');
const lora = read('wiseft-lora.json');
console.log('| α | full: SST-2 dev | full: OOD mean | LoRA: SST-2 dev | LoRA: OOD mean |');
console.log('| ---: | ---: | ---: | ---: | ---: |');
full.results.forEach((line, i) => {
  const other = lora.results[i];
  const id = Object.keys(line.accuracy)[0];
  console.log(
    `| ${line.alpha} | ${f(line.accuracy[id])} | ${f(line.oodMean)} | ${f(other.accuracy[id])} | ${f(other.oodMean)} |`,
  );
});
console.log('\nOther tasks (accuracy):\n');
console.log(
  '| task | zero-shot | fine-tuned in full | minllama reference (stories42M): zero-shot / fine-tuned |',
);
console.log('| --- | ---: | ---: | --- |');
const pair = (zs, ft) => [read(zs), read(ft)];
const [zsAg, ftAg] = pair('zs-ag.json', 'ft-ag.json');
const zsAgCal = read('zs-ag-calibrated.json');
console.log(
  `| AG News test (first 1,000) | ${f(zsAg.accuracy)} (calibrated ${f(zsAgCal.accuracy)}) | ${f(ftAg.accuracy)} | — |`,
);
const [zs5, ft5] = pair('zs-sst5.json', 'ft-sst5.json');
console.log(`| SST-5 dev | ${f(zs5.accuracy)} | ${f(ft5.accuracy)} | 0.213 / 0.414 |`);
const [zsC, ftC] = pair('zs-cfimdb.json', 'ft-cfimdb.json');
console.log(`| CFIMDB dev | ${f(zsC.accuracy)} | ${f(ftC.accuracy)} | 0.498 / 0.800 |`);
