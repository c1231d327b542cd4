// Splits one of minllama's training files (sst-train.txt, cfimdb-train.txt) into a part to fit on and a held-out
// part (a seeded tenth), so that a recipe can be chosen without the dev set: run.sh picks the learning rate and
// the number of epochs on the held-out part, then trains on the whole training file with them.
// Usage: node docs/experiments/minllama-tasks/holdout.mjs DATA_DIR/PREFIX-train.txt OUT_DIR
//   → OUT_DIR/PREFIX-{fit,heldout}.txt and PREFIX-label-mapping.json beside them.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { permutation } from '../../../packages/data/dist/index.js';

const [train, out] = process.argv.slice(2);
if (!train || !out) throw new Error('usage: node holdout.mjs PREFIX-train.txt OUT_DIR');
const prefix = /^(.+)-train\.txt$/.exec(basename(train))?.[1];
if (!prefix) throw new Error(`holdout.mjs: ${train} is not named PREFIX-train.txt`);
const lines = readFileSync(train, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '');
const order = permutation(lines.length, 20);
const heldOut = new Set(order.subarray(0, Math.round(lines.length / 10)));
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, `${prefix}-fit.txt`),
  lines
    .filter((_, i) => !heldOut.has(i))
    .map((line) => `${line}\n`)
    .join(''),
);
writeFileSync(
  join(out, `${prefix}-heldout.txt`),
  lines
    .filter((_, i) => heldOut.has(i))
    .map((line) => `${line}\n`)
    .join(''),
);
const mapping = `${prefix}-label-mapping.json`;
copyFileSync(join(dirname(train), mapping), join(out, mapping));
console.log(JSON.stringify({ fit: lines.length - heldOut.size, heldOut: heldOut.size }));
