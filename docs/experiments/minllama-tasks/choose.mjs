// Picks a task's fine-tuning recipe from the held-out runs of run.sh: prints "LR EPOCHS HEAD" of the highest
// held-out accuracy on stdout (a tie goes to the earlier run in the grid's order, as run.sh lists them) and
// the whole grid on stderr.
// Usage: node docs/experiments/minllama-tasks/choose.mjs RUNS/select/eval TASK LR@EPOCHS[@HEAD]...
// (reads TASK-lrLR-epEPOCHS.json for a random head, TASK-lrLR-epEPOCHS-HEAD.json for another)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [directory, task, ...grid] = process.argv.slice(2);
if (!directory || !task || grid.length === 0)
  throw new Error('usage: node choose.mjs EVAL_DIR TASK LR@EPOCHS[@HEAD]...');
let best = null;
for (const point of grid) {
  const [lr, epochs, head = 'random'] = point.split('@');
  const name = `${task}-lr${lr}-ep${epochs}${head === 'random' ? '' : `-${head}`}`;
  const result = JSON.parse(readFileSync(join(directory, `${name}.json`), 'utf8'));
  const accuracy = result.accuracy;
  console.error(
    `${task} held-out  lr ${lr.padEnd(7)} epochs ${epochs}  head ${head.padEnd(9)}  accuracy ${accuracy.toFixed(4)}`,
  );
  if (best === null || accuracy > best.accuracy) best = { lr, epochs, head, accuracy };
}
console.error(
  `${task} chosen    lr ${best.lr} epochs ${best.epochs} head ${best.head} (held-out accuracy ${best.accuracy.toFixed(4)})`,
);
console.log(`${best.lr} ${best.epochs} ${best.head}`);
