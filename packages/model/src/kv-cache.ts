import { LayerKvCache } from '@mini-llama/layers';

/** Keys and values of every layer for incremental decoding; `length` positions are stored. */
export class KvCache {
  readonly layers: LayerKvCache[];

  constructor(nLayers: number) {
    this.layers = Array.from({ length: nLayers }, () => new LayerKvCache());
  }

  /** Number of positions already processed (the position of the next token). */
  get length(): number {
    return this.layers[0]?.length ?? 0;
  }

  dispose(): void {
    for (const layer of this.layers) layer.dispose();
  }
}
