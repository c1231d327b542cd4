import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { SplitName } from '../document-split.js';
import { bytesPerToken, type ShardInfo, type TokenDtype } from '../shard-manifest.js';

export interface ShardWriterOptions {
  directory: string;
  split: SplitName;
  dtype: TokenDtype;
  vocabSize: number;
  /** Tokens per shard file; the last shard holds the rest. */
  shardTokens: number;
}

const BUFFER_TOKENS = 1 << 20;

/**
 * Appends a split's token stream to shard files `<split>-00000.bin`, `<split>-00001.bin`, …, each exactly
 * `shardTokens` long but the last. A document may run on from one shard into the next: the reader treats a
 * split's shards as one stream, so where the cuts fall changes no window.
 */
export class ShardWriter {
  private readonly buffer: Buffer;
  private readonly view: DataView;
  private buffered = 0;
  private inShard = 0;
  private handle: FileHandle | null = null;
  private readonly shards: ShardInfo[] = [];
  private total = 0;

  constructor(private readonly options: ShardWriterOptions) {
    if (!Number.isInteger(options.shardTokens) || options.shardTokens <= 0) {
      throw new RangeError(`ShardWriter: shardTokens must be a positive integer, got ${options.shardTokens}`);
    }
    this.buffer = Buffer.alloc(Math.min(BUFFER_TOKENS, options.shardTokens) * bytesPerToken(options.dtype));
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  }

  /** Tokens written so far. */
  get tokens(): number {
    return this.total;
  }

  async append(ids: readonly number[]): Promise<void> {
    const { dtype, vocabSize, shardTokens } = this.options;
    const capacity = this.buffer.length / bytesPerToken(dtype);
    let i = 0;
    while (i < ids.length) {
      if (this.inShard === shardTokens) await this.finishShard();
      const n = Math.min(shardTokens - this.inShard, capacity - this.buffered, ids.length - i);
      for (let k = 0; k < n; k++) {
        const id = ids[i + k]!;
        if (!(Number.isInteger(id) && id >= 0 && id < vocabSize)) {
          throw new RangeError(`ShardWriter: token id ${id} is outside the vocabulary [0, ${vocabSize})`);
        }
        if (dtype === 'uint16') this.view.setUint16((this.buffered + k) * 2, id, true);
        else this.view.setUint32((this.buffered + k) * 4, id, true);
      }
      this.buffered += n;
      this.inShard += n;
      this.total += n;
      i += n;
      if (this.buffered === capacity) await this.flush();
    }
  }

  /** Writes what is buffered, closes the last shard, and lists the shards written. */
  async close(): Promise<ShardInfo[]> {
    if (this.inShard > 0) await this.finishShard();
    return this.shards;
  }

  /** Closes the open file after a failure; what was written stays, and no shard is listed. */
  async abort(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
  }

  private async flush(): Promise<void> {
    if (this.buffered === 0) return;
    if (!this.handle) this.handle = await open(join(this.options.directory, this.currentFile()), 'w');
    await this.handle.write(this.buffer, 0, this.buffered * bytesPerToken(this.options.dtype));
    this.buffered = 0;
  }

  private async finishShard(): Promise<void> {
    await this.flush();
    await this.handle?.close();
    this.handle = null;
    this.shards.push({ file: this.currentFile(), split: this.options.split, tokens: this.inShard });
    this.inShard = 0;
  }

  private currentFile(): string {
    return `${this.options.split}-${String(this.shards.length).padStart(5, '0')}.bin`;
  }
}
