// Prints the tables of docs/results.md's "minllama's own tasks" from the runs of run.sh: per task, the dev
// accuracy of every seed, their mean with a 95% interval (a bootstrap over the dev examples and the seeds), the
// macro-F1, and how many classes the classifiers predict, beside minllama's reference numbers.
// Usage: node docs/experiments/minllama-tasks/summarize.mjs [runs/minllama]
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { estimate, formatEstimate, majorityRate, outcomes } from '../../../packages/eval/dist/index.js';

const runs = process.argv[2] ?? 'runs/minllama';
// ../shared/data/README.md: minllama's mean over 10 seeds, stories42M fine-tuned in full
const REFERENCE = { sst5: 0.414, cfimdb: 0.8 };

for (const [task, title] of [
  ['sst5', 'SST-5 dev'],
  ['cfimdb', 'CFIMDB dev'],
]) {
  const results = [];
  for (let seed = 0; existsSync(join(runs, 'eval', `${task}-${seed}.json`)); seed++) {
    results.push(JSON.parse(readFileSync(join(runs, 'eval', `${task}-${seed}.json`), 'utf8')));
  }
  if (results.length === 0) {
    console.log(`${title}: no runs in ${join(runs, 'eval')}`);
    continue;
  }
  const sets = results.map((result) => result.sets.find((set) => set.role === 'id'));
  const pooled = estimate(sets.map((set) => outcomes(set.labels, set.predictions)));
  const predicted = sets.map((set) => new Set(set.predictions).size);
  console.log(`${title} (n ${sets[0].labels.length}, majority ${majorityRate(sets[0].labels).toFixed(3)})`);
  console.log(`  accuracy   ${formatEstimate(pooled)}   minllama ${REFERENCE[task].toFixed(3)}`);
  console.log(`  per seed   ${results.map((result) => result.accuracy.toFixed(4)).join(', ')}`);
  console.log(`  macro-F1   ${results.map((result) => result.macroF1.toFixed(4)).join(', ')}`);
  console.log(`  classes predicted per seed: ${predicted.join(', ')} of ${results[0].labelNames.length}`);
}
