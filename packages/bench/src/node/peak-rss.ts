import process from 'node:process';
import type { MemorySampler } from '../measure.js';

/** The process's highest resident set size since the last take(): sampled when asked and every 50 ms. */
export class PeakRss implements MemorySampler {
  private peak = 0;
  private readonly timer = setInterval(() => this.sample(), 50);

  constructor() {
    this.timer.unref();
    this.sample();
  }

  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
  }

  take(): number {
    this.sample();
    const peak = this.peak;
    this.peak = 0;
    return peak;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
