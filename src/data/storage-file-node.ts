// Samples read from a file as they are needed (Node only): positioned reads of the raw
// little-endian payload of an IDX or .npy file, through a bounded cache of 64 KiB blocks,
// so a data set larger than memory (or than the heap) trains from disk. The file must not
// change while it is read: every read from the disk checks the file's size and mtime
// against those it had when opened, and a short read or a changed file is a FileError,
// never a batch of garbage.
import { closeSync, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { FileError } from '../errors.js';
import type { SampleStore } from './storage.js';
import { BYTES_PER_VALUE, type SampleDtype } from './sources/types.js';

/** Files larger than this are read from disk in chunks instead of loaded whole (LoadDataOptions.diskThreshold). */
export const DEFAULT_DISK_THRESHOLD = 256 * 2 ** 20;

const BLOCK = 1 << 16;
/** Block cache of a file store: enough for sequential reads and locality, bounded. */
export const DEFAULT_CACHE_BYTES = 32 * 2 ** 20;

export class FileStore implements SampleStore {
  readonly residentBytes: number;
  private fd: number;
  private readonly stats: Stats;
  private readonly row: number;
  /** Block index -> bytes, in least-recently-used order (Map keeps insertion order). */
  private readonly cache = new Map<number, Uint8Array>();
  private readonly maxBlocks: number;

  /**
   * `n` samples of `size` values of `dtype` at byte `dataOffset` of `file`, whose size must
   * be exactly dataOffset + n * size * bytes per value (the caller parsed the header).
   */
  constructor(
    readonly source: string,
    readonly dtype: SampleDtype,
    readonly n: number,
    readonly size: number,
    private readonly dataOffset: number,
    cacheBytes = DEFAULT_CACHE_BYTES,
  ) {
    this.row = size * BYTES_PER_VALUE[dtype];
    try {
      this.fd = openSync(source, 'r');
    } catch (err) {
      throw new FileError(`cannot open ${source}: ${(err as Error).message}`, source, { cause: err });
    }
    this.stats = fstatSync(this.fd);
    const expected = dataOffset + n * this.row;
    if (this.stats.size !== expected) {
      this.close();
      throw new FileError(`${source}: expected ${expected} bytes (header ${dataOffset} + ${n} x ${this.row}), found ${this.stats.size}`, source);
    }
    this.maxBlocks = Math.max(2, Math.floor(cacheBytes / BLOCK));
    this.residentBytes = this.maxBlocks * BLOCK;
  }

  readBytes(start: number, count: number, dst: Uint8Array, dstByte: number): void {
    let pos = this.dataOffset + start * this.row;
    const end = pos + count * this.row;
    let at = dstByte;
    // A read of many blocks goes straight to dst; small ones go through the cache.
    if (end - pos >= 4 * BLOCK) {
      this.readAt(pos, dst, at, end - pos);
      return;
    }
    while (pos < end) {
      const block = Math.floor(pos / BLOCK);
      const bytes = this.block(block);
      const from = pos - block * BLOCK;
      const take = Math.min(end - pos, bytes.length - from);
      dst.set(bytes.subarray(from, from + take), at);
      pos += take;
      at += take;
    }
  }

  private block(index: number): Uint8Array {
    const hit = this.cache.get(index);
    if (hit) {
      this.cache.delete(index);
      this.cache.set(index, hit);
      return hit;
    }
    const start = index * BLOCK;
    const bytes = new Uint8Array(Math.min(BLOCK, this.stats.size - start));
    this.readAt(start, bytes, 0, bytes.length);
    if (this.cache.size >= this.maxBlocks) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(index, bytes);
    return bytes;
  }

  private readAt(position: number, dst: Uint8Array, at: number, length: number): void {
    if (this.fd < 0) throw new FileError(`${this.source}: read after the store was closed`, this.source);
    this.checkUnchanged();
    let done = 0;
    while (done < length) {
      const got = readSync(this.fd, dst, at + done, length - done, position + done);
      if (got === 0) throw new FileError(`${this.source}: the file ended at byte ${position + done}, expected ${this.stats.size} bytes; it shrank while training read it`, this.source);
      done += got;
    }
  }

  private checkUnchanged(): void {
    const now = fstatSync(this.fd);
    if (now.size !== this.stats.size || now.mtimeMs !== this.stats.mtimeMs || now.ino !== this.stats.ino) {
      throw new FileError(
        `${this.source} changed while training read it (size ${this.stats.size} -> ${now.size} bytes, modified ${new Date(now.mtimeMs).toISOString()}); ` +
          'keep the data files unchanged during a run',
        this.source,
      );
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.cache.clear();
  }
}
