/**
 * The BPE encoder's agenda (bpe_model.cc's `agenda`): candidate merges of two adjacent symbols, the highest
 * score first and, among equal scores, the leftmost. Candidates live in parallel typed arrays and the binary
 * heap orders their indices, so the hundreds of thousands of candidates of a long text allocate no objects
 * and a heap step moves one integer.
 */
export class MergeQueue {
  private heap = new Int32Array(64);
  private heapSize = 0;
  private count = 0;
  private scores = new Float64Array(64);
  private lefts = new Int32Array(64);
  private rights = new Int32Array(64);
  /** Ids of the two symbols when queued: the candidate is stale once either side has merged. */
  private leftIds = new Int32Array(64);
  private rightIds = new Int32Array(64);
  private mergedIds = new Int32Array(64);

  // The last popped candidate.
  left = 0;
  right = 0;
  leftId = 0;
  rightId = 0;
  merged = 0;

  clear(): void {
    this.heapSize = 0;
    this.count = 0;
  }

  push(score: number, left: number, right: number, leftId: number, rightId: number, merged: number): void {
    if (this.count === this.scores.length) this.growCandidates();
    if (this.heapSize === this.heap.length) {
      const heap = new Int32Array(this.heap.length * 2);
      heap.set(this.heap);
      this.heap = heap;
    }
    const candidate = this.count++;
    this.scores[candidate] = score;
    this.lefts[candidate] = left;
    this.rights[candidate] = right;
    this.leftIds[candidate] = leftId;
    this.rightIds[candidate] = rightId;
    this.mergedIds[candidate] = merged;
    const heap = this.heap;
    let index = this.heapSize++;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(candidate, heap[parent]!)) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = candidate;
  }

  /** Pops the best candidate into left, right, leftId, rightId, merged; false when empty. */
  pop(): boolean {
    if (this.heapSize === 0) return false;
    const heap = this.heap;
    const top = heap[0]!;
    this.left = this.lefts[top]!;
    this.right = this.rights[top]!;
    this.leftId = this.leftIds[top]!;
    this.rightId = this.rightIds[top]!;
    this.merged = this.mergedIds[top]!;
    const size = --this.heapSize;
    const last = heap[size]!;
    let index = 0;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= size) break;
      if (child + 1 < size && this.before(heap[child + 1]!, heap[child]!)) child++;
      if (!this.before(heap[child]!, last)) break;
      heap[index] = heap[child]!;
      index = child;
    }
    heap[index] = last;
    return true;
  }

  private before(a: number, b: number): boolean {
    const scoreA = this.scores[a]!;
    const scoreB = this.scores[b]!;
    return scoreA > scoreB || (scoreA === scoreB && this.lefts[a]! < this.lefts[b]!);
  }

  private growCandidates(): void {
    const capacity = this.scores.length * 2;
    const scores = new Float64Array(capacity);
    scores.set(this.scores);
    this.scores = scores;
    const grow = (array: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const grown = new Int32Array(capacity);
      grown.set(array);
      return grown;
    };
    this.lefts = grow(this.lefts);
    this.rights = grow(this.rights);
    this.leftIds = grow(this.leftIds);
    this.rightIds = grow(this.rightIds);
    this.mergedIds = grow(this.mergedIds);
  }
}
