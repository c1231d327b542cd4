// The study, run on the typed cores: each stage calls one (pretrain, finetune, classifySets, wiseFtSweep, …)
// and records its result in RUN/stages.json, so a second run reuses finished stages and resumes a training
// that a signal stopped. Nothing here parses another command's output.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type EvalSet, loadSet, parseTaskSpecAt } from '@mini-llama/data/node';
import { majorityRate } from '@mini-llama/eval';
import { dataPerplexity } from '@mini-llama/eval/node';
import { renderReport } from '@mini-llama/eval/report';
import { contextLength } from '@mini-llama/formats';
import { openWeightFile, resolveModelReference } from '@mini-llama/formats/node';
import { trainBpe } from '@mini-llama/tokenizer';
import { findTokenizerFor, loadTokenizer, saveTokenizer } from '@mini-llama/tokenizer/node';
import { finetune, pretrain } from '@mini-llama/trainer/node';
import { STUDY_PLANS, STUDY_STAGES, type StudyPlan, type StudyStage } from '../plan.js';
import { studyReport } from '../report.js';
import type { SeedEvaluations, SetsPredictions, StudyData, WiseFtSeeds } from '../results.js';
import { summarizeGrid } from '../stability.js';
import { continuations } from './continuations.js';
import { runStabilityGrid } from './stability-grid.js';
import { setsPredictions, studyZeroShotPrompt, zeroShotStage } from './study-classify.js';
import { setsLabels, studyCurves } from './study-curves.js';
import { writeStudyData } from './study-data.js';
import { type StudyEvents, StudyInterrupted, type StudyOptions, type StudyResult } from './study-options.js';
import { hasCheckpoint, openStudyState, STUDY_FILES } from './study-state.js';
import { trainableShares } from './trainable-shares.js';
import { studyFinetuneConfig, studyPretrainConfig } from './training-configs.js';
import { wiseFtSeed } from './wise-ft-seed.js';

/** Runs (or continues) the study in `options.directory`; see the README's "The study". */
export async function runStudy(options: StudyOptions, events: StudyEvents = {}): Promise<StudyResult> {
  const plan: StudyPlan = options.quick ? STUDY_PLANS.quick : STUDY_PLANS.default;
  const run = options.directory;
  const say = events.onMessage ?? (() => {});
  const statePath = join(run, STUDY_FILES.state);
  const given = options.base ?? null;
  const baseName = given ? (options.baseName ?? given) : null;
  const state = await openStudyState(statePath, {
    fresh: options.fresh ?? false,
    baseName,
    endpoint: options.endpoint ?? 'zero-shot',
    directory: run,
  });
  const started = performance.now();
  const reused = STUDY_STAGES.filter((stage) => stage !== 'report' && state.done[stage]);
  if (reused.length > 0) {
    say(`demo: reusing the finished stages of ${run}: ${reused.join(', ')} (--fresh starts over)`);
  }
  const saveState = () => writeFile(statePath, `${JSON.stringify(state, null, 2)}\n`);
  const stage = async (name: StudyStage, description: string, work: () => Promise<unknown>) => {
    if (state.done[name]) return;
    events.onStage?.(name, description);
    state.done[name] = (await work()) ?? true;
    await saveState();
  };
  // one run of a stage that runs several (a seed): its result is kept, so the stage resumes after it
  const part = async (key: string, work: () => Promise<unknown>): Promise<unknown> => {
    state.parts ??= {};
    if (key in state.parts) return state.parts[key];
    state.parts[key] = await work();
    await saveState();
    return state.parts[key];
  };
  const paths = Object.fromEntries(
    Object.entries(STUDY_FILES).map(([what, name]) => [what, join(run, name)]),
  ) as Record<keyof typeof STUDY_FILES, string>;
  // The model studied: pretrained here, or the given base (a Hub reference resolved to its cached snapshot).
  const base = given ? await resolveModelReference(given) : join(paths.pretrain, 'model');
  const baseTokenizer = given ? await findTokenizerFor(base) : null;
  if (given && !baseTokenizer) {
    throw new Error(
      `--base ${given}: no tokenizer beside the model (${base}); the study needs the base's tokenizer`,
    );
  }
  const tokenizerFile = baseTokenizer ?? join(paths.tokenizer, 'tokenizer.model');
  const progress = (what: string) => (done: number, total: number) => events.onProgress?.(what, done, total);

  // 1. data: the pretraining text and the classification sets
  await stage('data', 'data: the pretraining text and the classification sets', () =>
    writeStudyData(paths.data, plan, options.task ?? null),
  );
  const data = state.done.data as StudyData;
  say(
    `demo: ${data.corpusDocuments} pretraining documents (${data.corpusBytes.toLocaleString('en-US')} bytes); ${data.task}: train ${data.sizes.train}, in-domain test ${data.sizes.test}${data.ood.length ? `, out-of-domain ${data.ood.map((set) => `${set.name} ${set.n}`).join(', ')}` : ''}`,
  );
  const id = await loadSet(parseTaskSpecAt(`tsv:${join(paths.data, 'test.tsv')}`, run), undefined);
  const val = await loadSet(parseTaskSpecAt(`tsv:${join(paths.data, 'val.tsv')}`, run), undefined);
  const ood: EvalSet[] = [];
  for (const set of data.ood) ood.push(await loadSet(parseTaskSpecAt(set.spec, run), undefined));

  // 2–3. with a base model: its own tokenizer and weights, nothing trained here
  const baseConfig = given ? (await openWeightFile(base)).config : null; // the config alone: no weight is read
  // Fine-tuning sequences: the plan's length, or the base's context when that is shorter.
  const maxLength = baseConfig ? Math.min(plan.seqLen, contextLength(baseConfig)) : plan.seqLen;
  if (baseConfig) {
    const config = baseConfig;
    await stage('tokenizer', `tokenizer: the base model's (${tokenizerFile})`, async () => ({
      base: baseName,
      file: tokenizerFile,
    }));
    await stage('pretrain', `pretrain: none, the base is ${baseName}`, async () => ({
      base: baseName,
      path: base,
      shape: { dim: config.dim, layers: config.nLayers, heads: config.nHeads, kvHeads: config.nKvHeads },
      vocabSize: config.vocabSize,
    }));
  }

  // 2. tokenizer
  await stage(
    'tokenizer',
    `tokenizer: a ${plan.vocabSize}-piece BPE vocabulary trained on the pretraining text`,
    async () => {
      await saveTokenizer(
        trainBpe([await readFile(join(paths.data, 'corpus.txt'), 'utf8')], { vocabSize: plan.vocabSize }),
        paths.tokenizer,
      );
      return true;
    },
  );

  // 3. pretraining (resumed from its last checkpoint when an earlier run was interrupted)
  const steps = options.steps ?? plan.pretrainSteps;
  const resumePretrain = await hasCheckpoint(paths.pretrain);
  await stage(
    'pretrain',
    resumePretrain
      ? `pretrain: resuming ${paths.pretrain}`
      : `pretrain: ${steps} steps of ${plan.pretrainBatch} × ${plan.seqLen} tokens`,
    async () => {
      const result = await pretrain(
        resumePretrain
          ? { resume: paths.pretrain, signal: options.signal }
          : {
              out: paths.pretrain,
              signal: options.signal,
              config: studyPretrainConfig({
                plan,
                data: paths.data,
                tokenizer: tokenizerFile,
                steps,
                backend: options.backend,
              }),
            },
        events.training,
      );
      if (result.stopped) throw new StudyInterrupted('pretrain');
      return true;
    },
  );

  // 4. perplexity on held-out text (the in-domain test files, never trained on)
  await stage('perplexity', 'perplexity of the held-out Brown text', () =>
    dataPerplexity({
      model: base,
      data: join(paths.data, 'heldout.txt'),
      onProgress: ({ scoredTokens, totalTokens }) => progress('perplexity')(scoredTokens, totalTokens),
    }),
  );

  // 5. continuations
  await stage('continuations', 'continuations of a few prompts', () =>
    continuations(base, tokenizerFile, plan.continuationTokens),
  );

  // 6. the zero-shot classifier: label-word rows of the LM head, centred on the unlabelled training texts
  await stage(
    'zero-shot',
    'zero-shot classifier: label words of the pretrained model, centred on unlabelled in-domain texts',
    async () => {
      const train = await loadSet(parseTaskSpecAt(`tsv:${join(paths.data, 'train.tsv')}`, run), undefined);
      const spec = {
        ...studyZeroShotPrompt(options.task?.task ?? 'brown', train.dataset.labelNames),
        labelNames: train.dataset.labelNames,
        centreOn: train.dataset.examples.map((example) => example.text),
        maxLength,
      };
      return zeroShotStage(base, spec, paths.zeroShot, id, ood, progress('classify'));
    },
  );

  // 7. with the linear-probe endpoint: a probe per seed (the zero-shot head trained on frozen features)
  // 8–9. fine-tuning, in full and with LoRA, once per seed: from the zero-shot head, or from the seed's probe
  const finetuneSteps = options.finetuneSteps ?? plan.finetuneSteps;
  const seeds = Array.from({ length: options.seeds ?? plan.seeds }, (_, seed) => seed);
  const seedDirectory = (root: string, seed: number) => join(root, `seed-${seed}`);
  const probing = state.endpoint === 'linear-probe';
  const probe = (seed: number) => join(seedDirectory(paths.probe, seed), 'model');
  const fineTune = async (
    name: 'linear-probe' | 'finetune-full' | 'finetune-lora',
    root: string,
    lr: number,
    how: { lora: boolean; train: 'all' | 'head' },
  ) => {
    const fromProbe = probing && name !== 'linear-probe';
    await stage(
      name,
      `${name}: ${seeds.length} seed${seeds.length > 1 ? 's' : ''} of ${finetuneSteps} steps of ${plan.finetuneBatch}${fromProbe ? ', from the seed’s linear probe' : ''}`,
      async () => {
        for (const seed of seeds) {
          await part(`${name}/seed-${seed}`, async () => {
            const directory = seedDirectory(root, seed);
            const resume = await hasCheckpoint(directory);
            say(`demo: ${name}, seed ${seed}${resume ? ` (resuming ${directory})` : ''}`);
            const result = await finetune(
              resume
                ? { resume: directory, signal: options.signal }
                : {
                    out: directory,
                    signal: options.signal,
                    config: studyFinetuneConfig({
                      plan,
                      base: fromProbe ? probe(seed) : paths.zeroShot,
                      train: how.train,
                      data: paths.data,
                      maxLength,
                      seed,
                      lr,
                      lora: how.lora,
                      steps: finetuneSteps,
                      backend: options.backend,
                    }),
                  },
              events.training,
            );
            if (result.stopped) throw new StudyInterrupted(name);
            return true;
          });
        }
        return { seeds: seeds.length };
      },
    );
  };
  if (probing) await fineTune('linear-probe', paths.probe, 1e-2, { lora: false, train: 'head' });
  await fineTune('finetune-full', paths.full, 1e-3, { lora: false, train: 'all' });
  await fineTune('finetune-lora', paths.lora, 3e-3, { lora: true, train: 'all' });

  // 9. the LoRA classifiers in and out of domain, with their trainable shares (the full fine-tunes are θ(1) of
  // the WiSE-FT stage, which evaluates them on the same sets)
  await stage('evaluate', 'evaluating the LoRA classifiers in and out of domain', async () => {
    const lora: SetsPredictions[] = [];
    for (const seed of seeds) {
      lora.push(
        (await part(`evaluate/seed-${seed}`, async () => {
          const adapter = seedDirectory(paths.lora, seed);
          return setsPredictions(base, [adapter], id, ood, progress(`classify (LoRA, seed ${seed})`), say);
        })) as SetsPredictions,
      );
    }
    return {
      labels: setsLabels(id, ood),
      lora,
      shares: await trainableShares(base, seedDirectory(paths.lora, 0)),
    } satisfies SeedEvaluations;
  });

  // 10. WiSE-FT over α, for each seed's full fine-tune: α chosen on the validation split
  const alphas = options.alphas ?? plan.alphas;
  if (!alphas.includes(0) || !alphas.includes(1)) {
    throw new Error(`--alphas must include 0 and 1 (the study's two ends), got ${alphas.join(',')}`);
  }
  await stage('wise-ft', 'WiSE-FT: θ(α) = (1 − α)·θ_zero-shot + α·θ_fine-tuned over the α grid', async () => {
    const tokenizer = await loadTokenizer(tokenizerFile);
    const result: WiseFtSeeds = { alphas: [...alphas], seeds: [] };
    for (const seed of seeds) {
      result.seeds.push(
        (await part(`wise-ft/seed-${seed}`, async () => {
          say(`demo: WiSE-FT of the full fine-tune of seed ${seed} over α = ${alphas.join(', ')}`);
          return wiseFtSeed({
            base: probing ? probe(seed) : paths.zeroShot,
            finetuned: join(seedDirectory(paths.full, seed), 'model'),
            tokenizer,
            alphas,
            val,
            id,
            ood,
            out: seedDirectory(paths.wiseFt, seed),
          });
        })) as WiseFtSeeds['seeds'][number],
      );
    }
    return result;
  });

  // 11. the stability grid (asked for): LoRA and full fine-tuning over learning rates × seeds
  if (options.lrGrid) {
    await stage(
      'stability',
      `stability: full fine-tuning at lr ${plan.lrGrid.full.join(', ')} and LoRA at lr ${plan.lrGrid.lora.join(', ')}, ${seeds.length} seeds each`,
      async () => {
        const runs = await runStabilityGrid({
          plan,
          base: paths.zeroShot,
          data: paths.data,
          maxLength,
          seeds,
          steps: finetuneSteps,
          backend: options.backend,
          directory: paths.stability,
          signal: options.signal,
          part,
          say,
          training: events.training,
          interrupted: () => new StudyInterrupted('stability'),
        });
        return summarizeGrid(runs, majorityRate(val.dataset.examples.map((example) => example.label)));
      },
    );
  }

  // 12. the report
  events.onStage?.('report', 'report');
  const { curves, finalLosses } = await studyCurves([
    ...(given ? [] : [{ label: 'pretrain', directory: paths.pretrain, method: null }]),
    ...seeds.flatMap((seed) => [
      { label: `full, seed ${seed}`, directory: seedDirectory(paths.full, seed), method: 'full' as const },
      { label: `LoRA, seed ${seed}`, directory: seedDirectory(paths.lora, seed), method: 'lora' as const },
    ]),
  ]);
  const report = studyReport({
    directory: run,
    state,
    plan,
    elapsedMs: performance.now() - started,
    curves,
    finalLosses,
  });
  await writeFile(paths.reportJson, `${JSON.stringify(report.json, null, 2)}\n`);
  await writeFile(paths.reportHtml, await renderReport(report.html));
  state.done.report = true;
  await writeFile(statePath, `${JSON.stringify(state, null, 2)}\n`);
  return { directory: run, state, reused, report };
}
