// Samples kept outside the heap in their stored dtype (uint8 stays uint8: a quarter of
// float32), and the transform that turns stored values into the float32 a model sees when
// a batch is filled. A Dataset with `storage` holds no float32 copy of its samples; the
// trainer streams batches from the store (src/train/stream.ts), and everything else reads
// model values in chunks (readSamples) or, for small sets, through `images`, which is
// materialised on first read.
//
// Transforms reproduce normalize.ts's arithmetic exactly: a uint8 store maps each level
// through a table of applyNormalization's float32 results, a float store computes
// (x - offset[f]) / divisor[f] in float64 and rounds to float32 — so a filled batch holds
// the same bits as the data normalised whole on the host.
import { ArgumentError, DataError } from '../errors.js';
import type { Dataset, ValueRange } from './dataset.js';
import { featureAffine, uint8Table, type Normalization, type SampleChunks } from './normalize.js';
import { BYTES_PER_VALUE, type SampleArray, type SampleDtype, type SampleStore } from './sources/types.js';

export type { SampleStore } from './sources/types.js';

/** Samples in a typed array (what every source reads into unless it stays on disk). */
export class ArrayStore implements SampleStore {
  readonly dtype: SampleDtype;
  readonly n: number;
  readonly residentBytes: number;
  private readonly bytes: Uint8Array;

  constructor(readonly array: SampleArray, readonly size: number, readonly source = 'memory') {
    if (!Number.isInteger(size) || size < 1 || array.length % size !== 0) {
      throw new ArgumentError(`ArrayStore: ${array.length} values are not whole samples of ${size}`);
    }
    this.dtype = array instanceof Uint8Array ? 'uint8' : array instanceof Float32Array ? 'float32' : 'float64';
    this.n = array.length / size;
    this.bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    this.residentBytes = array.byteLength;
  }

  readBytes(start: number, count: number, dst: Uint8Array, dstByte: number): void {
    const row = this.size * BYTES_PER_VALUE[this.dtype];
    // One small view per call: set() from a subarray is several times faster than any JS loop.
    dst.set(this.bytes.subarray(start * row, (start + count) * row), dstByte);
  }
}

/** Samples of `base` in the order of `indices` (a seeded split of a store): 4 bytes per sample, no copy of the data. */
export class IndexedStore implements SampleStore {
  readonly dtype: SampleDtype;
  readonly size: number;
  readonly n: number;
  readonly source: string;
  readonly residentBytes: number;
  private readonly row: number;

  constructor(private readonly base: SampleStore, private readonly indices: Uint32Array) {
    this.dtype = base.dtype;
    this.size = base.size;
    this.n = indices.length;
    this.source = base.source;
    this.residentBytes = base.residentBytes + indices.byteLength;
    this.row = base.size * BYTES_PER_VALUE[base.dtype];
  }

  readBytes(start: number, count: number, dst: Uint8Array, dstByte: number): void {
    for (let i = 0; i < count; i++) this.base.readBytes(this.indices[start + i]!, 1, dst, dstByte + i * this.row);
  }
}

/** Stored value -> model value: a table for uint8 stores, a per-feature affine for float ones. */
export type SampleTransform =
  /** model value of level v at feature f = table[f * stride + v]; stride 0: one table for all. */
  | { readonly kind: 'table'; readonly table: Float32Array; readonly stride: 0 | 256 }
  /** (x - offset[f]) / divisor[f] in float64, rounded to float32. */
  | { readonly kind: 'affine'; readonly offset: Float64Array; readonly divisor: Float64Array };

export interface DatasetStorage {
  readonly store: SampleStore;
  /** Sample i of the data set is sample first + i of the store. */
  readonly first: number;
  readonly transform: SampleTransform;
}

/** The transform that applies `norm` to a store of `dtype` at fill time. */
export function transformFor(norm: Normalization, dtype: SampleDtype): SampleTransform {
  if (dtype === 'uint8') return { kind: 'table', ...uint8Table(norm) };
  return { kind: 'affine', ...featureAffine(norm) };
}

/** A uint8 store's own table of 256 level values (the bundled digits' decimals). */
export function tableTransform(levels: Float32Array): SampleTransform {
  if (levels.length !== 256) throw new ArgumentError(`a level table has 256 entries, got ${levels.length}`);
  return { kind: 'table', table: levels, stride: 0 };
}

/**
 * A Dataset over `storage`: n = labels.length samples of `shape`. `images` reads the whole
 * set into float32 on first use (and keeps it): fine for test splits and small sets,
 * exactly what large ones must avoid — the trainer and readSamples never touch it.
 */
export function storedDataset(storage: DatasetStorage, labels: Uint8Array, shape: readonly number[]): Dataset {
  const n = labels.length;
  const size = shape.reduce((a, b) => a * b, 1);
  if (storage.store.size !== size) throw new ArgumentError(`storedDataset: the store holds samples of ${storage.store.size} values, the shape ${shape.join('x')} has ${size}`);
  if (!(Number.isInteger(storage.first) && storage.first >= 0 && storage.first + n <= storage.store.n)) {
    throw new ArgumentError(`storedDataset: samples [${storage.first}, ${storage.first + n}) are outside the store's ${storage.store.n}`);
  }
  let images: Float32Array | undefined;
  const ds: Dataset = {
    get images(): Float32Array {
      return (images ??= readSamples(ds, 0, n));
    },
    labels,
    n,
    shape,
    storage,
  };
  return ds;
}

/** Samples per chunk when a whole set is read in pieces: about 4 MiB of float32. */
export function chunkSamples(size: number): number {
  return Math.max(1, Math.floor((1 << 20) / size));
}

/**
 * Model values of samples start .. start + count - 1 as float32 (into `out` at `outOffset`
 * when given), whatever the storage. The same float32 values a batch fill writes.
 */
export function readSamples(ds: Dataset, start: number, count: number, out?: Float32Array | Float64Array, outOffset = 0): Float32Array {
  const size = ds.shape.reduce((a, b) => a * b, 1);
  if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0 && start + count <= ds.n)) {
    throw new ArgumentError(`readSamples: range [${start}, ${start + count}) is outside the ${ds.n} samples`);
  }
  const dst = out ?? new Float32Array(count * size);
  const s = ds.storage;
  if (!s) {
    dst.set(ds.images.subarray(start * size, (start + count) * size), outOffset);
    return dst as Float32Array;
  }
  const raw = rawValues(s.store, s.first + start, count);
  applyTransform(s.transform, raw, size, dst, outOffset);
  return dst as Float32Array;
}

/** The stored values of `store` in chunks of `chunk` samples (what fitNormalizationChunks reads from a file). */
export function storeChunks(store: SampleStore, chunk = chunkSamples(store.size)): SampleChunks {
  return (visit) => {
    for (let start = 0; start < store.n; start += chunk) visit(rawValues(store, start, Math.min(chunk, store.n - start)), start);
  };
}

/** The stored values of `count` samples from `start`, in the store's dtype. */
export function rawValues(store: SampleStore, start: number, count: number): SampleArray {
  const values = count * store.size;
  const bytes = new Uint8Array(values * BYTES_PER_VALUE[store.dtype]);
  store.readBytes(start, count, bytes, 0);
  if (store.dtype === 'uint8') return bytes;
  return store.dtype === 'float32' ? new Float32Array(bytes.buffer) : new Float64Array(bytes.buffer);
}

/** dst[outOffset + k] = transform(raw[k]) for k < count (whole samples of `size`). */
export function applyTransform(t: SampleTransform, raw: SampleArray, size: number, dst: Float32Array | Float64Array, outOffset: number, count = raw.length): void {
  if (t.kind === 'table') {
    const { table, stride } = t;
    for (let k = 0, f = 0; k < count; k++, f = f + 1 === size ? 0 : f + 1) dst[outOffset + k] = table[f * stride + raw[k]!]!;
    return;
  }
  const { offset, divisor } = t;
  // Into a float64 heap the value is still rounded to float32 first, as the float32 path stores it.
  for (let k = 0, f = 0; k < count; k++, f = f + 1 === size ? 0 : f + 1) dst[outOffset + k] = Math.fround((raw[k]! - offset[f]!) / divisor[f]!);
}

/**
 * The first flat index (sample i * size + feature) whose model value is outside `range`,
 * or -1. A table store whose table has no bad entry is accepted without reading the data
 * (every value it holds is a table entry); otherwise the samples are read in chunks.
 */
export function firstOutOfRange(ds: Dataset, range: ValueRange): number {
  const bad = (v: number) => (range === 'unit' ? !(v >= 0 && v <= 1) : !Number.isFinite(v));
  const size = ds.shape.reduce((a, b) => a * b, 1);
  if (!ds.storage) {
    const px = ds.images;
    for (let k = 0; k < px.length; k++) if (bad(px[k]!)) return k;
    return -1;
  }
  const t = ds.storage.transform;
  if (t.kind === 'table' && !t.table.some(bad)) return -1;
  const chunk = chunkSamples(size);
  for (let start = 0; start < ds.n; start += chunk) {
    const values = readSamples(ds, start, Math.min(chunk, ds.n - start));
    for (let k = 0; k < values.length; k++) if (bad(values[k]!)) return start * size + k;
  }
  return -1;
}

/**
 * The least and greatest model value of `ds` ([Infinity, -Infinity] for no samples), scanned
 * in sample order as one pass over `images` would, but a chunk at a time for stored samples:
 * their float32 copy is never made.
 */
export function valueRange(ds: Dataset): { lo: number; hi: number } {
  let lo = Infinity;
  let hi = -Infinity;
  const scan = (v: Float32Array, count: number) => {
    for (let k = 0; k < count; k++) {
      if (v[k]! < lo) lo = v[k]!;
      if (v[k]! > hi) hi = v[k]!;
    }
  };
  if (!ds.storage) {
    scan(ds.images, ds.images.length);
    return { lo, hi };
  }
  const size = ds.shape.reduce((a, b) => a * b, 1);
  const chunk = chunkSamples(size);
  const buffer = new Float32Array(Math.min(chunk, ds.n) * size);
  for (let start = 0; start < ds.n; start += chunk) {
    const count = Math.min(chunk, ds.n - start);
    readSamples(ds, start, count, buffer);
    scan(buffer, count * size);
  }
  return { lo, hi };
}

/** Whether every model value of `ds` lies in [0, 1]. */
export function inUnitRange(ds: Dataset): boolean {
  return firstOutOfRange(ds, 'unit') < 0;
}

/** The model value at flat index k (for messages). */
export function valueAt(ds: Dataset, k: number): number {
  const size = ds.shape.reduce((a, b) => a * b, 1);
  const i = Math.floor(k / size);
  return readSamples(ds, i, 1)[k - i * size]!;
}

/** Host bytes holding the samples of `ds` (its store's, or its float32 array's). */
export function storedBytes(ds: Dataset): number {
  return ds.storage ? ds.storage.store.residentBytes : ds.images.byteLength;
}

/** A DataError for a transform that maps a stored value out of float32 (applyNormalization's message). */
export function checkFinite(ds: Dataset, kind: string): void {
  const k = firstOutOfRange(ds, 'finite');
  if (k < 0) return;
  throw new DataError(`normalise (${kind}): the value at flat index ${k} maps to ${valueAt(ds, k)}, outside the float32 range`);
}
