/**
 * One forward pass of a sliding-window evaluation: tokens [start, end) of the stream are read, the first
 * end − start − 1 of them are the input, and tokens [scoreFrom, end) are scored.
 */
export interface ScoringWindow {
  start: number;
  end: number;
  scoreFrom: number;
}

/**
 * The windows that score every token of a stream of `length` tokens exactly once, except the first (which
 * has no context), with as much left context as a window of `windowSize` inputs allows: HF's "perplexity of
 * fixed-length models" recipe (huggingface.co/docs/transformers/perplexity), counted in targets.
 *
 * The first window scores tokens 1 … windowSize from tokens 0 … windowSize − 1. Each later window moves
 * the end on by `stride` tokens and reads the windowSize tokens before its last target, scoring only the
 * targets no earlier window scored; so every scored token but the first window's sees at least
 * windowSize + 1 − stride tokens of context. stride = windowSize is plain non-overlapping chunks (each
 * window's input starts at the previous window's last target, llama2.c's windows); a smaller stride costs
 * windowSize / stride times the compute and gives later tokens more context. The last window ends at the
 * stream's end and reads a full window of context before it, as HF's does not.
 */
export function* slidingWindows(
  length: number,
  windowSize: number,
  stride: number = windowSize,
): Generator<ScoringWindow> {
  checkWindowArguments(length, windowSize, stride);
  let scored = 1; // tokens [0, scored) are done: token 0 is never a target
  while (scored < length) {
    const end = scored === 1 ? Math.min(length, windowSize + 1) : Math.min(length, scored + stride);
    const start = Math.max(0, end - 1 - windowSize);
    yield { start, end, scoreFrom: scored };
    scored = end;
  }
}

/** How many windows `slidingWindows` yields, without making them. */
export function slidingWindowCount(length: number, windowSize: number, stride: number = windowSize): number {
  checkWindowArguments(length, windowSize, stride);
  if (length < 2) return 0;
  const first = Math.min(length, windowSize + 1);
  return 1 + Math.ceil((length - first) / stride);
}

function checkWindowArguments(length: number, windowSize: number, stride: number): void {
  if (!Number.isInteger(length) || length < 0) {
    throw new RangeError(`slidingWindows: length must be an integer ≥ 0, got ${length}`);
  }
  if (!Number.isInteger(windowSize) || windowSize < 1) {
    throw new RangeError(`slidingWindows: windowSize must be a positive integer, got ${windowSize}`);
  }
  if (!Number.isInteger(stride) || stride < 1 || stride > windowSize) {
    throw new RangeError(
      `slidingWindows: stride must be an integer from 1 to windowSize (${windowSize}), got ${stride}`,
    );
  }
}
