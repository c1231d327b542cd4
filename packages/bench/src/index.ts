// Measurements on the running backend (browser-safe): training, LoRA and generation steps of a model shape.
export { BENCH_MODES, type BenchMode, type BenchRow, type Measurement } from './bench-row.js';
export {
  BENCH_LORA,
  BENCH_TRAINER,
  type MeasureOptions,
  type MemorySampler,
  measureShape,
} from './measure.js';
export { randomTokens } from './random-batch.js';
