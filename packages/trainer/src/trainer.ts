import { countedTargets, IGNORE_INDEX, type TokenBatch } from '@mini-llama/data';
import { crossEntropy } from '@mini-llama/layers';
import type { LlamaConfig, LlamaModel, SequenceClassifier, StateDict } from '@mini-llama/model';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, type AdamWConfig } from './adamw.js';
import type { BatchSource } from './batch-source.js';
import { clipGradNorm, globalNorm } from './clip-grad-norm.js';
import { learningRateAt, type ScheduleConfig, validateSchedule } from './lr-schedule.js';

/** One logged step (a line of metrics.jsonl). */
export interface StepMetrics {
  step: number; // 1-based: the number of optimizer updates done
  loss: number; // mean over the step's counted target positions, all micro-batches together
  lr: number;
  gradNorm: number; // global norm before clipping
  tokensPerSecond: number; // input tokens of the step / its wall time
  valLoss?: number;
  valPerplexity?: number;
  valAccuracy?: number; // a classifier's accuracy on the validation set (finetune's trackAccuracy)
  skipped?: boolean; // the NaN guard skipped this update
}

export type TrainerEvent =
  | { type: 'step'; metrics: StepMetrics; totalSteps: number }
  | { type: 'eval'; step: number; valLoss: number; valPerplexity: number; best: boolean }
  | { type: 'checkpoint'; step: number; path: string };

export interface TrainerConfig {
  steps: number; // optimizer updates in the whole run
  batchSize: number; // sequences per micro-batch
  gradAccum?: number; // micro-batches per update: the update sees batchSize × gradAccum sequences
  optimizer: Omit<AdamWConfig, 'learningRate'>;
  schedule: Omit<ScheduleConfig, 'totalSteps'> & { totalSteps?: number }; // totalSteps defaults to steps
  clip?: number; // max global gradient norm; 0 disables clipping (default 1.0, as llama2.c)
  evalEvery?: number; // evaluate every N steps (0: never)
  nonFinite?: 'stop' | 'skip'; // a NaN/Inf loss or gradient: stop with an error (default) or skip the update
}

/** What the trainer trains: a LlamaModel, a SequenceClassifier, or an adapted model with the same surface. */
export interface TrainableModel {
  readonly config: LlamaConfig;
  parameters(): Record<string, tf.Variable>;
  stateDict(): Promise<StateDict>;
  loadStateDict(stateDict: StateDict, source?: string): void;
  /**
   * State beyond the weights that the next training steps depend on (a dropout generator's position, say), as
   * JSON: checkpoints store it and a resumed run restores it, so that the run continues exactly.
   */
  trainingState?(): Record<string, unknown>;
  /** Restores what `trainingState()` returned; `source` names the file it came from, for errors. */
  restoreTrainingState?(state: Record<string, unknown>, source?: string): void;
}

/** Loss of one micro-batch: a mean over its counted positions (a scalar). */
export type Objective<M extends TrainableModel = LlamaModel> = (model: M, batch: TokenBatch) => tf.Scalar;

/** Next-token cross-entropy through the fused head (targets of -100 ignored): pretraining and LM fine-tuning. */
export const languageModelObjective: Objective<LlamaModel> = (model, batch) =>
  tf.tidy(() => {
    const { inputs, targets, batchSize, seqLen, attentionMask } = batch;
    if (!targets) throw new Error('languageModelObjective: the batch has no targets');
    const x = tf.tensor2d(inputs, [batchSize, seqLen], 'int32');
    const y = tf.tensor2d(targets, [batchSize, seqLen], 'int32');
    return model.loss(x, y, { ignoreIndex: IGNORE_INDEX, attentionMask });
  });

/** Cross-entropy of the classifier's logits (last real token of each row) against the batch's labels. */
export const classificationObjective: Objective<SequenceClassifier> = (classifier, batch) =>
  tf.tidy(() => {
    const { inputs, labels, batchSize, seqLen, attentionMask } = batch;
    if (!labels) throw new Error('classificationObjective: the batch has no labels');
    const logits = classifier.logits(tf.tensor2d(inputs, [batchSize, seqLen], 'int32'), attentionMask);
    return crossEntropy(logits, tf.tensor1d(labels, 'int32'));
  });

export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

/**
 * The training loop: gradient accumulation, global-norm clipping, AdamW on a schedule, a NaN/Inf guard,
 * periodic evaluation. It owns no I/O: checkpoints and metrics files are written by whoever listens to its
 * events (see `runTraining` in @mini-llama/trainer/node), so the same loop runs in a browser.
 */
export class Trainer<M extends TrainableModel = LlamaModel> {
  readonly model: M;
  readonly optimizer: AdamW;
  readonly config: Required<Omit<TrainerConfig, 'schedule'>> & { schedule: ScheduleConfig };
  private readonly objective: Objective<M>;
  /** The parameters being trained (all of the model's unless the constructor was given a subset). */
  readonly trainable: Record<string, tf.Variable>;
  private readonly listeners: ((event: TrainerEvent) => void)[] = [];
  /** Optimizer updates done so far (the step a resumed run continues after). */
  step = 0;
  bestValLoss = Number.POSITIVE_INFINITY;
  skippedSteps = 0;

  /**
   * `objective` defaults to next-token prediction; `trainable` (default: every parameter of the model)
   * names the parameters that get gradients and optimizer state — the rest stay frozen.
   */
  constructor(
    model: M,
    config: TrainerConfig,
    objective: Objective<M> = languageModelObjective as unknown as Objective<M>,
    trainable: Record<string, tf.Variable> = model.parameters(),
  ) {
    const schedule: ScheduleConfig = {
      ...config.schedule,
      totalSteps: config.schedule.totalSteps ?? config.steps,
    };
    validateSchedule(schedule);
    for (const [field, value] of [
      ['steps', config.steps],
      ['batchSize', config.batchSize],
      ['gradAccum', config.gradAccum ?? 1],
    ] as const) {
      if (!Number.isInteger(value) || value <= 0)
        throw new Error(`Trainer: ${field} must be a positive integer, got ${value}`);
    }
    this.config = {
      steps: config.steps,
      batchSize: config.batchSize,
      gradAccum: config.gradAccum ?? 1,
      optimizer: config.optimizer,
      schedule,
      clip: config.clip ?? 1,
      evalEvery: config.evalEvery ?? 0,
      nonFinite: config.nonFinite ?? 'stop',
    };
    this.model = model;
    this.objective = objective;
    this.trainable = trainable;
    this.optimizer = new AdamW(trainable, {
      ...config.optimizer,
      learningRate: schedule.learningRate,
    });
  }

  on(listener: (event: TrainerEvent) => void): void {
    this.listeners.push(listener);
  }

  /**
   * One optimizer update from gradAccum micro-batches. Each micro-batch's gradient is weighted by its share
   * of the counted target positions, so k micro-batches give exactly the loss and gradient of one batch
   * k times the size (with loss masking too, where micro-batches count different numbers of positions).
   */
  async trainStep(source: BatchSource): Promise<StepMetrics> {
    const started = performance.now();
    const batches: TokenBatch[] = [];
    for (let i = 0; i < this.config.gradAccum; i++)
      batches.push(await source.nextBatch(this.config.batchSize));
    const counts = batches.map(countedTargets);
    const total = counts.reduce((a, b) => a + b, 0);
    const lr = learningRateAt(this.step, this.config.schedule);
    const variables = this.trainable;
    const nameOf = new Map(Object.entries(variables).map(([name, variable]) => [variable.name, name]));
    let summed: Map<string, tf.Tensor> | null = null;
    let loss = 0;
    for (const [i, batch] of batches.entries()) {
      const share = total === 0 ? 0 : counts[i]! / total;
      const { value, grads } = tf.variableGrads(
        () => this.objective(this.model, batch),
        Object.values(variables),
      );
      loss += (await value.data())[0]! * share;
      value.dispose();
      const next: Map<string, tf.Tensor> = new Map();
      for (const [variableName, gradient] of Object.entries(grads)) {
        const name = nameOf.get(variableName)!;
        const weighted = tf.tidy(() => {
          const scaled = tf.mul(gradient, share);
          return summed ? tf.add(summed.get(name)!, scaled) : scaled;
        });
        next.set(name, weighted);
      }
      tf.dispose(Object.values(grads));
      if (summed) tf.dispose([...summed.values()]);
      summed = next;
    }
    const gradients = summed!;
    const step = this.step + 1;
    try {
      const norm = this.config.clip > 0 ? null : await globalNorm(gradients);
      if (!Number.isFinite(loss) || (norm !== null && !Number.isFinite(norm))) {
        return this.nonFinite(step, loss, norm ?? Number.NaN, lr, started, batches);
      }
      if (this.config.clip > 0) {
        const clipped = await clipGradNorm(gradients, this.config.clip);
        try {
          if (!Number.isFinite(clipped.norm))
            return this.nonFinite(step, loss, clipped.norm, lr, started, batches);
          this.optimizer.applyGradients(clipped.gradients, lr);
        } finally {
          tf.dispose([...clipped.gradients.values()]);
        }
        return this.finishStep(step, loss, clipped.norm, lr, started, batches);
      }
      this.optimizer.applyGradients(gradients, lr);
      return this.finishStep(step, loss, norm!, lr, started, batches);
    } finally {
      tf.dispose([...gradients.values()]);
    }
  }

  /** Mean loss over the validation batches (weighted by counted positions), and its perplexity. */
  async evaluate(
    batches: Iterable<TokenBatch> | AsyncIterable<TokenBatch>,
  ): Promise<{ loss: number; perplexity: number }> {
    let weighted = 0;
    let counted = 0;
    for await (const batch of batches) {
      const count = countedTargets(batch);
      const value = tf.tidy(() => this.objective(this.model, batch));
      weighted += (await value.data())[0]! * count;
      value.dispose();
      counted += count;
    }
    if (counted === 0) throw new Error('Trainer.evaluate: the validation batches count no target positions');
    const loss = weighted / counted;
    return { loss, perplexity: Math.exp(loss) };
  }

  /** Records an evaluation; returns whether it is the best so far. */
  recordEvaluation(valLoss: number): boolean {
    const best = valLoss < this.bestValLoss;
    if (best) this.bestValLoss = valLoss;
    this.emit({ type: 'eval', step: this.step, valLoss, valPerplexity: Math.exp(valLoss), best });
    return best;
  }

  emit(event: TrainerEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  dispose(): void {
    this.optimizer.dispose();
  }

  private finishStep(
    step: number,
    loss: number,
    gradNorm: number,
    lr: number,
    started: number,
    batches: TokenBatch[],
    skipped = false,
  ) {
    this.step = step;
    const tokens = batches.reduce((sum, b) => sum + b.batchSize * b.seqLen, 0);
    const metrics: StepMetrics = {
      step,
      loss,
      lr,
      gradNorm,
      tokensPerSecond: tokens / ((performance.now() - started) / 1000),
      ...(skipped ? { skipped } : {}),
    };
    this.emit({ type: 'step', metrics, totalSteps: this.config.steps });
    return metrics;
  }

  private nonFinite(
    step: number,
    loss: number,
    gradNorm: number,
    lr: number,
    started: number,
    batches: TokenBatch[],
  ) {
    const what = Number.isFinite(loss) ? `gradient norm is ${gradNorm}` : `loss is ${loss}`;
    if (this.config.nonFinite === 'stop') {
      throw new NonFiniteLossError(
        `step ${step}: the ${what}; stopped before updating the weights (lower the learning rate, or pass nonFinite: 'skip' / --on-nan skip to skip such steps)`,
      );
    }
    this.skippedSteps++;
    return this.finishStep(step, loss, gradNorm, lr, started, batches, true);
  }
}
