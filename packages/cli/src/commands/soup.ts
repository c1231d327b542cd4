import { copyFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { BackendRequest } from '@mini-llama/backends';
import { checkTokenizerMatchesModel } from '@mini-llama/data';
import {
  classifierPredictor,
  evaluateIdOod,
  type Predictor,
  promptForTask,
  zeroShotPredictor,
} from '@mini-llama/eval';
import { saveClassifierHead } from '@mini-llama/eval/node';
import { LlamaModel, SequenceClassifier, type StateDict } from '@mini-llama/model';
import { saveModel } from '@mini-llama/model/node';
import { type GreedySoupStep, greedySoup, type SoupIngredient, uniformSoup } from '@mini-llama/wise-ft';
import type { Command } from 'commander';
import { startBackend } from '../backend.js';
import { CliError } from '../errors.js';
import { type EvalSet, loadSet, parseSpecFlag } from '../eval-sets.js';
import type { CliIo } from '../io.js';
import { BACKEND_HELP, backendRequest, oneOf, positiveInteger } from '../options.js';
import { findTokenizerFor } from '../tokenizer-files.js';
import { readWeightModel, type WeightModel } from '../weight-space.js';
import { evalTokenizer, TOKENIZER_HELP, textTable } from './eval-shared.js';

const MODES = ['uniform', 'greedy'] as const;

interface SoupFlags {
  models: string[];
  mode: (typeof MODES)[number];
  heldOut?: string;
  out: string;
  tokenizer?: string;
  limit?: number;
  batchSize: number;
  backend: BackendRequest;
  json?: boolean;
}

export function addSoupCommand(program: Command, io: CliIo): void {
  program
    .command('soup')
    .description(
      'Model soups (Wortsman et al. 2022): average the weights of several fine-tunes of one pretrained model, uniformly or greedily with a held-out guard.',
    )
    .requiredOption(
      '--models <paths...>',
      'fine-tuned models of one architecture (classifiers from finetune --task, or language models)',
    )
    .option('--mode <mode>', `${MODES.join(' or ')} (default uniform)`, oneOf('--mode', MODES), 'uniform')
    .option(
      '--held-out <taskspec>',
      'held-out set: greedy soups add a model only if accuracy here does not drop (required for greedy; reported for uniform). Not a test set.',
    )
    .requiredOption(
      '--out <path>',
      'where the soup goes (HF directory; a classifier gets its head and labels too)',
    )
    .option('--tokenizer <path>', TOKENIZER_HELP)
    .option('--limit <n>', 'evaluate the first n held-out examples', positiveInteger('--limit'))
    .option('--batch-size <n>', 'texts per forward pass', positiveInteger('--batch-size'), 16)
    .option('--backend <name>', BACKEND_HELP, backendRequest, 'auto')
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText(
      'after',
      `
Greedy (the paper's Recipe 1): the models are sorted by held-out accuracy, the soup starts from the best and
takes each next model only if the soup with it scores at least as well. OUT/soup.json records every step.
Classifiers must share their labels and their prompt (labels.json); language models are scored by zero-shot
label scoring with the held-out task's prompt.`,
    )
    .action((flags: SoupFlags) => runSoup(flags, io));
}

async function runSoup(flags: SoupFlags, io: CliIo): Promise<void> {
  if (flags.models.length < 2) throw new CliError('--models: a soup needs at least two models');
  if (flags.mode === 'greedy' && !flags.heldOut) {
    throw new CliError('--mode greedy needs --held-out TASKSPEC: the set that guards each addition');
  }
  const models: WeightModel[] = [];
  for (const path of flags.models) models.push(await readWeightModel(resolve(io.cwd, path)));
  const first = models[0]!;
  for (const model of models.slice(1)) {
    if (Boolean(model.classifier) !== Boolean(first.classifier)) {
      throw new CliError(
        `--models: ${first.path} and ${model.path} are not both classifiers (or both language models)`,
      );
    }
    if (first.classifier && JSON.stringify(model.classifier) !== JSON.stringify(first.classifier)) {
      throw new CliError(
        `--models: ${model.path} has other labels or another prompt than ${first.path} (labels.json): soups average fine-tunes of one task`,
      );
    }
  }
  const ingredients: SoupIngredient[] = models.map((model, i) => ({
    name: flags.models[i]!,
    state: model.state,
  }));
  const heldOut = flags.heldOut
    ? await loadSet(parseSpecFlag(flags.heldOut, '--held-out', io.cwd), flags.limit)
    : null;
  const tokenizer = heldOut
    ? (await evalTokenizer(flags.tokenizer, first.path, io, {
        required: 'the held-out texts must be tokenized',
      }))!
    : null;
  if (tokenizer) checkTokenizerMatchesModel(tokenizer.tokenizer, first.config.vocabSize, tokenizer.name);
  if (
    heldOut &&
    first.classifier &&
    first.classifier.labelNames.length !== heldOut.dataset.labelNames.length
  ) {
    throw new CliError(
      `--held-out: ${heldOut.name} has ${heldOut.dataset.labelNames.length} labels, the classifiers ${first.classifier.labelNames.length}`,
    );
  }
  await startBackend(flags.backend, io);

  const model = new LlamaModel(first.config, { init: 'none' });
  const classifier = first.classifier
    ? new SequenceClassifier(model, first.classifier.labelNames.length)
    : null;
  try {
    const evaluate = async (state: StateDict): Promise<number> => {
      (classifier ?? model).loadStateDict(state, 'soup');
      const predict = predictor(model, classifier, first, tokenizer!.tokenizer, heldOut!, flags.batchSize);
      const labelNames = heldOut!.dataset.labelNames;
      const report = await evaluateIdOod(predict, {
        id: { name: heldOut!.name, examples: heldOut!.dataset.examples },
        ood: [],
        labelNames,
      });
      return report.id.accuracy;
    };
    let soup: StateDict;
    let members: string[];
    let steps: GreedySoupStep[] = [];
    let individual: Record<string, number> | null = null;
    let score: number | null = null;
    if (flags.mode === 'greedy') {
      const result = await greedySoup(ingredients, evaluate, {
        onStep: (step) =>
          io.stderr.write(
            `${step.added ? 'added ' : 'skipped'} ${step.name}: alone ${step.individual.toFixed(4)}, soup with it ${step.withIt.toFixed(4)}\n`,
          ),
      });
      ({ state: soup, ingredients: members, steps, score } = result);
      individual = Object.fromEntries(steps.map((step) => [step.name, step.individual]));
    } else {
      soup = uniformSoup(ingredients);
      members = ingredients.map((ingredient) => ingredient.name);
      if (heldOut) {
        individual = {};
        for (const ingredient of ingredients) individual[ingredient.name] = await evaluate(ingredient.state);
        score = await evaluate(soup);
      }
    }
    (classifier ?? model).loadStateDict(soup, 'soup');
    const out = resolve(io.cwd, flags.out);
    await saveModel(model, out, { format: 'hf' });
    if (classifier && first.classifier) {
      await saveClassifierHead(out, (await classifier.stateDict()).get('score.weight')!, first.classifier);
    }
    const tokenizerFile = flags.tokenizer ? null : await findTokenizerFor(first.path);
    if (tokenizerFile) await copyFile(tokenizerFile, join(out, basename(tokenizerFile)));
    const summary = {
      mode: flags.mode,
      heldOut: heldOut?.name ?? null,
      models: ingredients.map((ingredient) => ingredient.name),
      ingredients: members,
      heldOutAccuracy: score,
      individualAccuracy: individual,
      steps,
    };
    await writeFile(join(out, 'soup.json'), `${JSON.stringify(summary, null, 2)}\n`);
    if (flags.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      const rows = ingredients.map((ingredient) => [
        ingredient.name,
        individual?.[ingredient.name] ?? null,
        members.includes(ingredient.name) ? 'yes' : 'no',
      ]);
      rows.push([`${flags.mode} soup (${members.length} models)`, score, '']);
      io.stdout.write(
        `${textTable(['model', heldOut ? `${heldOut.name} accuracy` : 'accuracy', 'in soup'], rows)}\n`,
      );
      io.stdout.write(`soup: ${out}\n`);
    }
  } finally {
    classifier?.dispose();
    model.dispose();
  }
}

function predictor(
  model: LlamaModel,
  classifier: SequenceClassifier | null,
  first: WeightModel,
  tokenizer: Parameters<typeof classifierPredictor>[1],
  heldOut: EvalSet,
  batchSize: number,
): Predictor {
  if (classifier)
    return classifierPredictor(classifier, tokenizer, {
      batchSize,
      template: first.classifier?.prompt?.template,
      maxLength: first.classifier?.maxLength ?? undefined,
    });
  return zeroShotPredictor(model, tokenizer, promptForTask(heldOut.task, heldOut.dataset.labelNames), {
    batchSize,
  });
}
