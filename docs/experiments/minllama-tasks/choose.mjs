// Picks a task's fine-tuning recipe from the held-out runs of run.sh: prints "LR EPOCHS" of the highest
// held-out accuracy on stdout (a tie goes to the earlier run in the grid's order, as run.sh lists them) and
// the whole grid on stderr.
// Usage: node docs/experiments/minllama-tasks/choose.mjs RUNS/select/eval TASK LR@EPOCHS... (reads TASK-lrLR-epEPOCHS.json)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [directory, task, ...grid] = process.argv.slice(2);
if (!directory || !task || grid.length === 0)
  throw new Error('usage: node choose.mjs EVAL_DIR TASK LR@EPOCHS...');
let best = null;
for (const point of grid) {
  const [lr, epochs] = point.split('@');
  const result = JSON.parse(readFileSync(join(directory, `${task}-lr${lr}-ep${epochs}.json`), 'utf8'));
  const accuracy = result.accuracy;
  console.error(`${task} held-out  lr ${lr.padEnd(7)} epochs ${epochs}  accuracy ${accuracy.toFixed(4)}`);
  if (best === null || accuracy > best.accuracy) best = { lr, epochs, accuracy };
}
console.error(
  `${task} chosen    lr ${best.lr} epochs ${best.epochs} (held-out accuracy ${best.accuracy.toFixed(4)})`,
);
console.log(`${best.lr} ${best.epochs}`);
