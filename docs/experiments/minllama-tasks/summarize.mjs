// Prints the tables of docs/results.md's "minllama's own tasks" from the runs of run.sh: per task, the dev
// accuracy of every seed, their mean with a 95% interval (a bootstrap over the dev examples and the seeds), the
// macro-F1, and how many classes the classifiers predict, beside minllama's reference numbers; given a second
// folder of runs of the same seeds (another recipe's, moved aside), the paired difference of the two over the
// same dev examples and seeds.
// Usage: node docs/experiments/minllama-tasks/summarize.mjs [runs/minllama] [OTHER_RUNS]
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  estimate,
  formatEstimate,
  majorityRate,
  outcomes,
  pairedDifference,
} from '../../../packages/eval/dist/index.js';

const runs = process.argv[2] ?? 'runs/minllama';
const other = process.argv[3];

/** The dev sets' outcomes of a task's seeds 0, 1, … in a folder of runs (their eval/TASK-SEED.json). */
function seedResults(folder, task) {
  const results = [];
  for (let seed = 0; existsSync(join(folder, 'eval', `${task}-${seed}.json`)); seed++) {
    results.push(JSON.parse(readFileSync(join(folder, 'eval', `${task}-${seed}.json`), 'utf8')));
  }
  return results;
}
// ../shared/data/README.md: minllama's mean over 10 seeds, stories42M fine-tuned in full
const REFERENCE = { sst5: 0.414, cfimdb: 0.8 };

for (const [task, title] of [
  ['sst5', 'SST-5 dev'],
  ['cfimdb', 'CFIMDB dev'],
]) {
  const results = seedResults(runs, task);
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
  if (other) {
    const theirs = seedResults(other, task).slice(0, results.length);
    if (theirs.length === results.length) {
      const set = (result) => result.sets.find((s) => s.role === 'id');
      const difference = pairedDifference(
        sets.map((s) => outcomes(s.labels, s.predictions)),
        theirs.map((result) => outcomes(set(result).labels, set(result).predictions)),
      );
      console.log(`  − ${other}: ${formatEstimate(difference)} (paired over examples and seeds)`);
    } else {
      console.log(`  − ${other}: ${theirs.length} seeds there against ${results.length} here, not compared`);
    }
  }
}
