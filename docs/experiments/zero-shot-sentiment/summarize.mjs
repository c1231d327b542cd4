// Prints docs/results.md's zero-shot sentiment table from the runs of run.sh (eval classify --json): per
// variant of the zero-shot head, the accuracy on SST-2 dev and on every shifted set with a 95% bootstrap interval
// over the examples, the out-of-domain mean (each set counts once), and the share of sentences called positive.
// Usage: node docs/experiments/zero-shot-sentiment/summarize.mjs [runs/zero-shot-sentiment]
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { estimate, formatEstimate, majorityRate, outcomes } from '../../../packages/eval/dist/index.js';

const runs = process.argv[2] ?? 'runs/zero-shot-sentiment';
const read = (name) => {
  const file = join(runs, `${name}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
};
const withOutcomes = (set) => ({ ...set, outcomes: outcomes(set.labels, set.predictions) });
const SHIFTED = ['amazon', 'imdb', 'yelp', 'cfimdb'];
// [run, title]: each run's own sets; own-centre takes SST-2 from the study's head and each shifted set from its own
const variants = [
  ['words-centred', 'label words, centred on SST-2 — the study’s'],
  ['words-plain', 'label words, not centred'],
  ['words-centred-next-word', 'label words, centred on SST-2, read after the last word ("{text}")'],
  ['prompt-calibrated', '"Review: {text}\\nSentiment:" and the label names, calibrated (Zhao et al. 2021)'],
  ['own-centre', 'label words, each shifted set centred on its own texts (transductive)'],
];
let header = false;
for (const [name, title] of variants) {
  let sets;
  if (name === 'own-centre') {
    const study = read('words-centred');
    const own = SHIFTED.map((set) => read(`own-centre-${set}`));
    if (!study || own.includes(null)) {
      console.log(`${title}: not run`);
      continue;
    }
    sets = [study.sets[0], ...own.map((run) => ({ ...run.sets[0], role: 'ood' }))].map(withOutcomes);
  } else {
    const run = read(name);
    if (!run) {
      console.log(`${title}: not run`);
      continue;
    }
    sets = run.sets.map(withOutcomes);
  }
  if (!header) {
    const described = sets.map(
      (set) => `${set.name} (${set.labels.length}, ${majorityRate(set.labels).toFixed(3)})`,
    );
    console.log(`sets (n, majority rate): ${described.join('; ')}`);
    console.log(
      `| zero-shot head | ${sets.map((set) => set.name).join(' | ')} | OOD mean | called positive (ID / OOD) |`,
    );
    header = true;
  }
  const ood = sets.filter((set) => set.role === 'ood');
  const positive = (list) =>
    list.reduce((sum, set) => sum + set.predictions.filter((p) => p === 1).length, 0) /
    list.reduce((sum, set) => sum + set.predictions.length, 0);
  const cells = sets.map((set) => formatEstimate(estimate([set.outcomes])));
  const oodMean = formatEstimate(estimate(ood.map((set) => [set.outcomes])));
  const shares = `${positive([sets[0]]).toFixed(2)} / ${positive(ood).toFixed(2)}`;
  console.log(`| ${title} | ${cells.join(' | ')} | ${oodMean} | ${shares} |`);
}
