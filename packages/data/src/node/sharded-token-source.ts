import { type FileHandle, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeFileError } from '@mini-llama/formats/node';
import { DataFormatError } from '../data-format-error.js';
import type { SplitName } from '../document-split.js';
import {
  bytesPerToken,
  checkManifestMatchesModel,
  MANIFEST_FILE,
  parseShardManifest,
  type ShardManifest,
} from '../shard-manifest.js';
import type { TokenSource } from '../token-source.js';

export interface OpenTokenShardsOptions {
  split?: SplitName; // train
  /** The model's vocabulary size: opening fails unless the shards were made for it. */
  vocabSize?: number;
}

interface OpenShard {
  path: string;
  start: number; // offset of its first token in the split's stream
  tokens: number;
  /** Opened on first read; a promise, so that the concurrent reads of one batch share one handle. */
  handle: Promise<FileHandle> | null;
}

/**
 * A split of pretokenised shards as one token stream, read from disk on demand: `read` fetches only the
 * bytes of the tokens asked for (positioned reads on open file handles), so a corpus far larger than memory
 * is served a window at a time. A range that crosses from one shard into the next is read from both.
 * Call `close()` when done.
 */
export class ShardedTokenSource implements TokenSource {
  readonly length: number;
  private readonly bytes: 2 | 4;

  private constructor(
    readonly manifest: ShardManifest,
    readonly split: SplitName,
    private readonly shards: OpenShard[],
  ) {
    this.bytes = bytesPerToken(manifest.dtype);
    const last = shards[shards.length - 1];
    this.length = last ? last.start + last.tokens : 0;
  }

  /** Opens `directory/manifest.json` and checks that every shard file has the size it lists. */
  static async open(
    directory: string,
    { split = 'train', vocabSize }: OpenTokenShardsOptions = {},
  ): Promise<ShardedTokenSource> {
    const manifestPath = join(directory, MANIFEST_FILE);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(manifestPath, 'utf8'));
    } catch (error) {
      throw new DataFormatError(
        manifestPath,
        null,
        `cannot read the shard manifest: ${describeFileError(error)}`,
      );
    }
    const manifest = parseShardManifest(json, manifestPath);
    if (vocabSize !== undefined) checkManifestMatchesModel(manifest, vocabSize, manifestPath);
    const shards: OpenShard[] = [];
    let start = 0;
    for (const shard of manifest.shards.filter((entry) => entry.split === split)) {
      const path = join(directory, shard.file);
      const expected = shard.tokens * bytesPerToken(manifest.dtype);
      const actual = await stat(path).then(
        (info) => info.size,
        () => null,
      );
      if (actual !== expected) {
        const found = actual === null ? 'is missing' : `has ${actual} bytes`;
        throw new DataFormatError(
          path,
          null,
          `${found}, but ${MANIFEST_FILE} lists ${shard.tokens} ${manifest.dtype} tokens (${expected} bytes)`,
        );
      }
      shards.push({ path, start, tokens: shard.tokens, handle: null });
      start += shard.tokens;
    }
    return new ShardedTokenSource(manifest, split, shards);
  }

  async read(start: number, count: number): Promise<Int32Array> {
    if (start < 0 || count < 0 || start + count > this.length) {
      throw new RangeError(
        `ShardedTokenSource.read: [${start}, ${start + count}) is outside the ${this.split} stream of ${this.length} tokens`,
      );
    }
    const out = new Int32Array(count);
    let filled = 0;
    for (let index = this.shardIndexOf(start); filled < count; index++) {
      const shard = this.shards[index]!;
      const from = start + filled - shard.start;
      const n = Math.min(count - filled, shard.tokens - from);
      await this.readShard(shard, from, n, out, filled);
      filled += n;
    }
    return out;
  }

  async close(): Promise<void> {
    const handles = this.shards.map((shard) => shard.handle);
    for (const shard of this.shards) shard.handle = null;
    await Promise.all(handles.map(async (handle) => (await handle?.catch(() => null))?.close()));
  }

  /** The shard holding stream position `position` (binary search over the start offsets). */
  private shardIndexOf(position: number): number {
    let low = 0;
    let high = this.shards.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.shards[middle]!.start <= position) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  private async readShard(
    shard: OpenShard,
    from: number,
    n: number,
    out: Int32Array,
    at: number,
  ): Promise<void> {
    shard.handle ??= open(shard.path, 'r');
    const handle = await shard.handle;
    const buffer = Buffer.alloc(n * this.bytes);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, from * this.bytes);
    if (bytesRead !== buffer.length) {
      throw new DataFormatError(
        shard.path,
        null,
        `short read at token ${from}: the file changed after it was opened`,
      );
    }
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    const vocabSize = this.manifest.vocabSize;
    for (let i = 0; i < n; i++) {
      const id = this.bytes === 2 ? view.getUint16(i * 2, true) : view.getUint32(i * 4, true);
      if (id >= vocabSize) {
        throw new DataFormatError(
          shard.path,
          null,
          `token ${from + i} is id ${id}, outside the vocabulary (vocabSize ${vocabSize})`,
        );
      }
      out[at + i] = id;
    }
  }
}
