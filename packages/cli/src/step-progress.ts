import type { StepMetrics, TrainerEvent } from '@mini-llama/trainer';
import { SingleBar } from 'cli-progress';
import type { CliIo } from './io.js';

export interface StepStatus {
  step: number;
  loss: number;
  lr: number;
  tokensPerSecond: number;
  valLoss?: number;
}

/**
 * Progress of a run of a known number of steps on stderr: a cli-progress bar on a terminal (step, loss, lr,
 * tokens/s, ETA), a plain line every few seconds otherwise, so logs and CI keep readable text.
 */
export class StepProgress {
  private readonly bar: SingleBar | null;
  private readonly started = performance.now();
  private lastLine = Number.NEGATIVE_INFINITY;
  private static readonly LINE_EVERY_SECONDS = 5;

  constructor(
    private readonly io: CliIo,
    private readonly totalSteps: number,
    firstStep = 0,
  ) {
    if (io.stderr.isTTY) {
      this.bar = new SingleBar({
        stream: io.stderr as NodeJS.WriteStream,
        format:
          '{bar} step {value}/{total} | loss {loss} | val {val} | lr {lr} | {speed} tok/s | ETA {eta_formatted}',
        barsize: 20,
        hideCursor: true,
        etaBuffer: 20,
      });
      this.bar.start(totalSteps, firstStep, { loss: '-', val: '-', lr: '-', speed: '-' });
    } else {
      this.bar = null;
    }
  }

  update({ step, loss, lr, tokensPerSecond, valLoss }: StepStatus): void {
    const speed = Math.round(tokensPerSecond).toLocaleString('en-US');
    if (this.bar) {
      const val = valLoss === undefined ? {} : { val: valLoss.toFixed(3) };
      this.bar.update(step, { loss: loss.toFixed(3), lr: lr.toExponential(2), speed, ...val });
      return;
    }
    const elapsed = (performance.now() - this.started) / 1000;
    if (
      elapsed - this.lastLine < StepProgress.LINE_EVERY_SECONDS &&
      valLoss === undefined &&
      step !== this.totalSteps
    ) {
      return;
    }
    this.lastLine = elapsed;
    const validation = valLoss === undefined ? '' : `  val ${valLoss.toFixed(3)}`;
    this.io.stderr.write(
      `step ${step}/${this.totalSteps}  loss ${loss.toFixed(3)}${validation}  lr ${lr.toExponential(2)}  ${speed} tok/s  ${elapsed.toFixed(0)} s\n`,
    );
  }

  /** Shows a trainer's steps and evaluations: `trainer.on(progress.listener())`. */
  listener(): (event: TrainerEvent) => void {
    let last: StepMetrics | null = null;
    return (event) => {
      if (event.type === 'step') {
        last = event.metrics;
        this.update(last);
      }
      if (event.type === 'eval' && last) this.update({ ...last, valLoss: event.valLoss });
    };
  }

  stop(): void {
    this.bar?.stop();
  }
}
