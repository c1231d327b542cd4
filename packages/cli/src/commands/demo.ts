// `mini-llama demo`: the whole study in one command, offline — a thin adapter over @mini-llama/study's
// runStudy: flags in, progress and the summary out.
import { join, resolve } from 'node:path';
import type { BackendRequest } from '@mini-llama/backends';
import { parseTaskSpecAt } from '@mini-llama/data/node';
import { STUDY_STAGES } from '@mini-llama/study';
import { runStudy, StudyInterrupted } from '@mini-llama/study/node';
import { parseAlphas } from '@mini-llama/wise-ft';
import type { Command } from 'commander';
import { startBackend } from '../backend.js';
import { CountProgress } from '../count-progress.js';
import { CliError, CliExit } from '../errors.js';
import { modelArgument } from '../hub.js';
import type { CliIo } from '../io.js';
import { backendOption, collect, oneOf, positiveInteger } from '../options.js';
import { exitCodeOf, trainingProgress, withStopSignals } from '../training-run.js';

interface DemoFlags {
  quick?: boolean;
  name?: string;
  out?: string;
  steps?: number;
  finetuneSteps?: number;
  seeds?: number;
  endpoint?: 'zero-shot' | 'linear-probe';
  lrGrid?: boolean;
  task?: 'sst2' | 'ag_news';
  data?: string;
  ood: string[];
  alphas?: string;
  backend: BackendRequest;
  fresh?: boolean;
  base?: string;
}

export function addDemoCommand(program: Command, io: CliIo): void {
  const command = program
    .command('demo')
    .description(
      'The whole study, offline: tokenizer, pretraining (perplexity, continuations), zero-shot classification, full and LoRA fine-tuning, a WiSE-FT α sweep in and out of domain, and runs/<name>/report.html.',
    )
    .option('--quick', 'a smaller model, fewer steps and smaller sets: about 2 minutes instead of about 10')
    .option('--name <name>', 'run name: files go to runs/<name> (default demo, or demo-quick with --quick)')
    .option('--out <dir>', 'run directory (instead of runs/<name>)')
    .option('--steps <n>', 'pretraining steps (default 400, --quick 150)', positiveInteger('--steps'))
    .option(
      '--finetune-steps <n>',
      'fine-tuning steps, full and LoRA (default 90, --quick 40)',
      positiveInteger('--finetune-steps'),
    )
    .option(
      '--seeds <n>',
      'fine-tuning runs per method (seeds 0, 1, …): every accuracy is their mean with a 95% interval (default 3)',
      positiveInteger('--seeds'),
    )
    .option(
      '--endpoint <end>',
      "WiSE-FT's α = 0 and where fine-tuning starts: zero-shot (the mean LM-head rows of each label's words, centred on the unlabelled training texts) or linear-probe (that head trained per seed on frozen features; LP-FT, Kumar et al. 2022) (default zero-shot)",
      oneOf('--endpoint', ['zero-shot', 'linear-probe'] as const),
    )
    .option(
      '--lr-grid',
      'also fine-tune in full and with LoRA over a grid of 3 learning rates × the seeds (18 fine-tunes more): is LoRA more stable?',
    )
    .option(
      '--task <task>',
      'classification task instead of the Brown topics: sst2 or ag_news, with --data DIR (as mini-llama data get writes it)',
      oneOf('--task', ['sst2', 'ag_news'] as const),
    )
    .option(
      '--data <dir>',
      'the --task dataset directory (sst2: train.tsv, dev.tsv; ag_news: train*.csv, test.csv)',
    )
    .option(
      '--ood <taskspec>',
      'out-of-domain set for --task (repeatable), e.g. uci:DIR/imdb_labelled.txt',
      collect,
      [],
    )
    .option(
      '--base <model>',
      'study this pretrained model instead of pretraining one: an HF directory, a .safetensors or llama2.c file, or hf:ORG/NAME[@REVISION]; its tokenizer comes with it',
    )
    .option('--alphas <list>', 'WiSE-FT α grid, holding 0 and 1 (default 0,0.2,0.4,0.6,0.8,1)')
    .option('--fresh', 'start over: ignore what earlier runs of this name left')
    .addHelpText(
      'after',
      `
Stages: ${STUDY_STAGES.join(' → ')}. Each leaves its files in the run directory; running the demo again reuses
finished stages and resumes an interrupted training from its last checkpoint (Ctrl-C writes one). The Brown
task has four topics (press, nonfiction, learned, fiction); its out-of-domain split holds genres the
fine-tuning never saw (press reviews, religion, government documents, science fiction and humour), and the
pretraining text is the in-domain training files only.`,
    );
  backendOption(command);
  command.action((flags: DemoFlags) => demoCommand(flags, io));
}

async function demoCommand(flags: DemoFlags, io: CliIo): Promise<void> {
  if (flags.task && !flags.data) throw new CliError(`--task ${flags.task} needs --data DIR`);
  if (flags.data && !flags.task) throw new CliError('--data needs --task sst2 or ag_news');
  if (flags.ood.length > 0 && !flags.task)
    throw new CliError('--ood applies to --task (Brown has its own OOD split)');
  let alphas: number[] | undefined;
  try {
    alphas = flags.alphas ? parseAlphas(flags.alphas) : undefined;
  } catch (error) {
    throw new CliError(`--alphas: ${(error as Error).message}`);
  }
  const name = flags.name ?? (flags.quick ? 'demo-quick' : 'demo');
  const directory = resolve(io.cwd, flags.out ?? join('runs', name));
  const task = flags.task
    ? {
        task: flags.task,
        data: resolve(io.cwd, flags.data!),
        ood: flags.ood.map((value) => parseTaskSpecAt(value, io.cwd, '--ood')),
      }
    : null;
  const choice = await startBackend(flags.backend, io); // chosen once; every stage runs on it
  // an hf: base is downloaded (or found in the Hub cache) here, with progress bars
  const base = flags.base ? await modelArgument(flags.base, io, '--base') : null;
  const training = trainingProgress(io, 'demo');
  let counting: CountProgress | null = null;
  let countingWhat = '';
  try {
    const { result } = await withStopSignals(io, (signal) =>
      runStudy(
        {
          directory,
          quick: flags.quick,
          steps: flags.steps,
          finetuneSteps: flags.finetuneSteps,
          seeds: flags.seeds,
          endpoint: flags.endpoint,
          lrGrid: flags.lrGrid,
          task,
          alphas,
          fresh: flags.fresh,
          base,
          baseName: flags.base ?? null, // the study records the name the user gave
          backend: choice.name,
          signal,
        },
        {
          onStage: (_, description) => {
            training.stop();
            counting?.stop();
            counting = null;
            io.stderr.write(`\ndemo ▸ ${description}\n`);
          },
          onMessage: (message) => io.stderr.write(`${message}\n`),
          training: training.events,
          onProgress: (what, done, total) => {
            if (counting && countingWhat !== what) {
              counting.stop();
              counting = null;
            }
            countingWhat = what;
            counting ??= new CountProgress(io, what, what === 'perplexity' ? 'tokens' : 'examples');
            counting.update(done, total);
          },
        },
      ),
    );
    for (const { prompt, continuation } of result.report.json.continuations as {
      prompt: string;
      continuation: string;
    }[]) {
      io.stdout.write(`> ${prompt}${continuation}\n`);
    }
    io.stdout.write(
      `\n${result.report.summary}\nreport: ${join(directory, 'report.html')}\n        ${join(directory, 'report.json')}\n`,
    );
  } catch (error) {
    if (!(error instanceof StudyInterrupted)) throw error;
    const again = [
      'mini-llama demo',
      flags.quick ? '--quick' : '',
      flags.name ? `--name ${flags.name}` : '',
      flags.out ? `--out ${flags.out}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    io.stderr.write(
      `mini-llama demo: interrupted during ${error.stage}; run \`${again}\` again to resume from its checkpoint\n`,
    );
    throw new CliExit(
      exitCodeOf((error as Error & { stoppedBy?: 'SIGINT' | 'SIGTERM' | 'SIGHUP' }).stoppedBy ?? null),
    );
  } finally {
    training.stop();
    (counting as CountProgress | null)?.stop();
  }
}
