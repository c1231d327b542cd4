import { SingleBar } from 'cli-progress';
import type { CliIo } from './io.js';

/**
 * Progress through a known count of things (tokens, examples) on stderr: a cli-progress bar on a terminal,
 * otherwise a plain line every few seconds, so logs and CI keep readable text.
 */
export class CountProgress {
  private readonly bar: SingleBar | null;
  private readonly started = performance.now();
  private lastLine = 0;
  private barTotal: number | null = null;
  private static readonly LINE_EVERY_SECONDS = 5;

  constructor(
    private readonly io: CliIo,
    private readonly label: string,
    private readonly unit: string,
  ) {
    this.bar = io.stderr.isTTY
      ? new SingleBar({
          stream: io.stderr as NodeJS.WriteStream,
          format: `${label} {bar} {value}/{total} ${unit} | ETA {eta_formatted}`,
          barsize: 24,
          hideCursor: true,
          etaBuffer: 20,
        })
      : null;
  }

  update(done: number, total: number): void {
    if (this.bar) {
      if (this.barTotal === null) this.bar.start(total, done);
      else if (this.barTotal !== total) this.bar.setTotal(total);
      this.barTotal = total;
      this.bar.update(done);
      return;
    }
    const elapsed = (performance.now() - this.started) / 1000;
    if (elapsed - this.lastLine < CountProgress.LINE_EVERY_SECONDS) return;
    this.lastLine = elapsed;
    const percent = total > 0 ? ((100 * done) / total).toFixed(1) : '100';
    this.io.stderr.write(
      `${this.label}: ${done}/${total} ${this.unit} (${percent}%), ${elapsed.toFixed(0)} s\n`,
    );
  }

  stop(): void {
    this.bar?.stop();
  }
}
