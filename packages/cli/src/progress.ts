import { SingleBar } from 'cli-progress';
import type { CliIo } from './io.js';

export interface TrainingStatus {
  step: number;
  loss: number;
  tokensPerSecond: number;
  elapsedSeconds: number;
}

/**
 * Training progress on stderr: a bar on a terminal (cli-progress), a plain line every few seconds otherwise
 * (logs and CI keep readable text, no carriage returns).
 */
export class TrainingProgress {
  private readonly io: CliIo;
  private readonly totalSeconds: number;
  private readonly bar: SingleBar | null;
  private lastLine = Number.NEGATIVE_INFINITY;
  private static readonly LINE_EVERY_SECONDS = 2;

  constructor(io: CliIo, totalSeconds: number) {
    this.io = io;
    this.totalSeconds = totalSeconds;
    if (io.stderr.isTTY) {
      this.bar = new SingleBar({
        stream: io.stderr as NodeJS.WriteStream,
        format: 'training {bar} {value}/{total} s | step {step} | loss {loss} | {speed} tokens/s',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
      });
      this.bar.start(totalSeconds, 0, { step: 0, loss: '-', speed: '-' });
    } else {
      this.bar = null;
    }
  }

  update({ step, loss, tokensPerSecond, elapsedSeconds }: TrainingStatus): void {
    const speed = Math.round(tokensPerSecond).toLocaleString('en-US');
    if (this.bar) {
      const seconds = Math.min(this.totalSeconds, Math.round(elapsedSeconds * 10) / 10);
      this.bar.update(seconds, { step, loss: loss.toFixed(3), speed });
      return;
    }
    if (elapsedSeconds - this.lastLine < TrainingProgress.LINE_EVERY_SECONDS) return;
    this.lastLine = elapsedSeconds;
    this.io.stderr.write(
      `step ${step}  loss ${loss.toFixed(3)}  ${speed} tokens/s  ${elapsedSeconds.toFixed(1)}/${this.totalSeconds} s\n`,
    );
  }

  /** Ends the bar, or prints the last status line. */
  stop(final: TrainingStatus): void {
    if (this.bar) {
      this.update({ ...final, elapsedSeconds: this.totalSeconds });
      this.bar.stop();
      return;
    }
    this.lastLine = Number.NEGATIVE_INFINITY;
    this.update(final);
  }
}
