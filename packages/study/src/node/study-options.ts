// What runStudy takes and gives: its options, the events it reports, its result, and the error a stopped
// training stage raises.
import type { RunEvents } from '@mini-llama/trainer/node';
import type { StudyEndpoint, StudyStage, StudyState } from '../plan.js';
import type { studyReport } from '../report.js';
import type { StudyTask } from './study-data.js';

export interface StudyOptions {
  /** The study's directory (absolute): every stage's files, stages.json, report.json, report.html. */
  directory: string;
  quick?: boolean;
  /** Pretraining and fine-tuning steps (default: the plan's). */
  steps?: number;
  finetuneSteps?: number;
  /** SST-2 or AG News instead of the Brown topics. */
  task?: StudyTask | null;
  /**
   * A pretrained model to study instead of pretraining one here: an HF folder, a .safetensors or llama2.c file,
   * or `hf:ORG/NAME[@REVISION]`. Its tokenizer (beside it) replaces the one trained here.
   */
  base?: string | null;
  /** How the report and stages.json name the base (default: `base`), e.g. the hf: reference a path came from. */
  baseName?: string | null;
  /** The WiSE-FT α grid (default: the plan's); it must hold 0 and 1. */
  alphas?: readonly number[];
  /** Fine-tuning runs per method (default: the plan's, 3). */
  seeds?: number;
  /**
   * WiSE-FT's α = 0 and where the fine-tunes start (default zero-shot): the zero-shot head, or a linear probe
   * trained per seed on frozen features (LP-FT).
   */
  endpoint?: StudyEndpoint;
  /**
   * Also run the stability grid: full fine-tuning and LoRA over the plan's learning rates × seeds, with the
   * validation accuracy at every evaluation (about 18 fine-tunes more); the LoRA answer then rests on it.
   */
  lrGrid?: boolean;
  /** Start over instead of reusing finished stages. */
  fresh?: boolean;
  /** The tfjs backend the study runs on (already started by the caller); recorded in the runs. */
  backend: string;
  /** Stops a training stage after its current step, with a checkpoint the next run resumes from. */
  signal?: AbortSignal;
}

export interface StudyEvents {
  /** A stage begins (not called for reused ones). */
  onStage?: (stage: StudyStage, description: string) => void;
  onMessage?: (message: string) => void;
  /** The training stages' own events (progress bars). */
  training?: RunEvents;
  /** Examples classified, tokens scored. */
  onProgress?: (what: string, done: number, total: number) => void;
}

/** A training stage stopped by the caller's signal; its checkpoint is written. */
export class StudyInterrupted extends Error {
  override name = 'StudyInterrupted';
  constructor(readonly stage: StudyStage) {
    super(`interrupted during ${stage}`);
  }
}

export interface StudyResult {
  directory: string;
  state: StudyState;
  /** Stages a previous run had finished. */
  reused: StudyStage[];
  report: ReturnType<typeof studyReport>;
}
