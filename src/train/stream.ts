// Batches streamed from host memory (or a file) into the heap, one step at a time: the
// data set never enters WASM memory. Stored uint8 samples are copied as bytes into a ring
// of staging slots in the heap (a quarter of their float32 size) and turned into the
// graph's float32 input by one kernel (lookupU8) through the normalisation's table of
// exact float32 values; float32 samples already in model values are copied straight into
// the input; float samples with a transform (a float .npy read from disk) are transformed
// on the host in float64, as applyNormalization does. Every path writes the bits an
// in-heap copy of the normalised set would hold, so training is bit-identical to it.
//
// The ring has RING_SLOTS slots used in turn, so a batch's bytes stay intact while the
// next one is read. Slots are filled in sequence, not while a step runs: kernel calls are
// synchronous on this thread, and with the threads build the pool's workers already take
// every core for the step's kernels (and a single-thread build's memory is not shared), so a
// fill worker would only compete with them. The fill is kept cheap instead: a host row copy
// per sample into the slot (set() of a subarray: ~0.1 us of call overhead, the rest memory
// traffic), then one lookupU8 pass; at batch 256 x 784 it costs about 0.05-0.07 ms more than
// the in-heap copy, 2% of a dense step (bench/scale.ts measures both, "fill ms").

import type { Dataset } from '../data/dataset.js';
import { imageSize, shapeText } from '../data/dataset.js';
import { applyTransform, type DatasetStorage } from '../data/storage.js';
import { BYTES_PER_VALUE } from '../data/sources/types.js';
import { DataError, ShapeError } from '../errors.js';
import type { Kernels } from '../kernels/kernels.js';
import { formatShape, sizeOf, type Shape } from '../nn/tensor.js';

/** What a step gathers its batch from: the in-heap copy (DeviceData) or a stream (StreamData). */
export interface BatchData {
  readonly n: number;
  readonly size: number;
  /** Heap floats this holds (data, ring, table), for memory budgets. */
  readonly heapFloats: number;
  /** Writes samples order[start .. start + n) (start .. start + n when order is null) at dst, in model values. */
  gather(order: Uint32Array | null, start: number, n: number, dst: number): void;
  free(): void;
}

export const RING_SLOTS = 2;

/** Throws ShapeError when the samples of `ds` do not fit an input of `inputShape`. */
export function checkSampleShape(ds: Dataset, inputShape: Shape, what: string): number {
  const size = imageSize(ds);
  if (size !== sizeOf(inputShape)) throw new ShapeError(`${what}: samples are ${shapeText(ds.shape)} but the model takes ${formatShape(inputShape)}`);
  return size;
}

/** Heap floats a stream of `ds` in batches of `batch` reserves (ring slots and table). */
export function streamFloats(ds: Dataset, batch: number): number {
  const t = ds.storage?.transform;
  if (!t || t.kind !== 'table') return 0;
  return RING_SLOTS * slotFloats(batch * imageSize(ds)) + t.table.length;
}

function slotFloats(bytes: number): number {
  return Math.max(4, Math.ceil(bytes / 4 / 4) * 4);
}

export class StreamData implements BatchData {
  readonly n: number;
  readonly size: number;
  readonly heapFloats: number;
  private readonly storage: DatasetStorage | undefined;
  private readonly slots: number[] = [];
  private table = -1;
  private next = 0;
  /** Host staging for transformed float stores: raw values of one batch. */
  private readonly raw: Float32Array | Float64Array | null = null;
  private readonly rawBytes: Uint8Array | null = null;
  private bytesView: Uint8Array | null = null;

  constructor(
    readonly kernels: Kernels,
    readonly ds: Dataset,
    inputShape: Shape,
    what: string,
    readonly batch: number,
  ) {
    this.size = checkSampleShape(ds, inputShape, what);
    this.n = ds.n;
    this.storage = ds.storage;
    this.heapFloats = streamFloats(ds, batch);
    const s = this.storage;
    if (s?.transform.kind === 'table') {
      const heap = kernels.heap;
      // Validate-before-allocate happened upstream (the memory budget); reserve everything at once.
      this.table = heap.alloc(s.transform.table.length);
      heap.write(this.table, s.transform.table);
      for (let i = 0; i < RING_SLOTS; i++) this.slots.push(heap.alloc(slotFloats(batch * this.size)));
    } else if (s) {
      const values = batch * this.size;
      this.raw = s.store.dtype === 'float64' ? new Float64Array(values) : new Float32Array(values);
      this.rawBytes = new Uint8Array(this.raw.buffer);
    }
  }

  gather(order: Uint32Array | null, start: number, n: number, dst: number): void {
    const s = this.storage;
    if (!s) return this.copyFloats(order, start, n, dst);
    if (s.transform.kind === 'table') return this.lookup(s, order, start, n, dst);
    return this.transform(s, order, start, n, dst);
  }

  /** Float32 model values in host memory: row copies straight into the input. */
  private copyFloats(order: Uint32Array | null, start: number, n: number, dst: number): void {
    const images = this.ds.images;
    const size = this.size;
    const d = this.kernels.heap.data;
    if (order === null) {
      d.set(images.subarray(start * size, (start + n) * size), dst);
      return;
    }
    for (let r = 0; r < n; r++) {
      const i = order[start + r]! * size;
      d.set(images.subarray(i, i + size), dst + r * size);
    }
  }

  /** The heap's bytes, re-made only when the memory grew (never during training). */
  private heapBytes(): Uint8Array {
    const d = this.kernels.heap.data;
    if (this.bytesView?.buffer !== d.buffer) this.bytesView = new Uint8Array(d.buffer, 0, d.buffer.byteLength);
    return this.bytesView;
  }

  /** Stored bytes of the batch's samples into `bytes` (one read for a contiguous range). */
  private readRows(s: DatasetStorage, order: Uint32Array | null, start: number, n: number, bytes: Uint8Array, byteOffset: number): void {
    if (order === null) {
      s.store.readBytes(s.first + start, n, bytes, byteOffset);
      return;
    }
    const row = this.size * BYTES_PER_VALUE[s.store.dtype];
    for (let r = 0; r < n; r++) s.store.readBytes(s.first + order[start + r]!, 1, bytes, byteOffset + r * row);
  }

  /** uint8: bytes into the next ring slot, then the table lookup into the input. */
  private lookup(s: DatasetStorage, order: Uint32Array | null, start: number, n: number, dst: number): void {
    const slot = this.slots[this.next]!;
    this.next = (this.next + 1) % RING_SLOTS;
    this.readRows(s, order, start, n, this.heapBytes(), slot * this.kernels.heap.bytesPerElement);
    const t = s.transform as Extract<DatasetStorage['transform'], { kind: 'table' }>;
    this.kernels.lookupU8(slot, this.table, t.stride, dst, n, this.size);
  }

  /** Float stores with a transform: raw values on the host, transformed into the input. */
  private transform(s: DatasetStorage, order: Uint32Array | null, start: number, n: number, dst: number): void {
    this.readRows(s, order, start, n, this.rawBytes!, 0);
    applyTransform(s.transform, this.raw!, this.size, this.kernels.heap.data, dst, n * this.size);
  }

  free(): void {
    const heap = this.kernels.heap;
    for (const slot of this.slots) heap.free(slot);
    this.slots.length = 0;
    if (this.table >= 0) heap.free(this.table);
    this.table = -1;
  }
}

/**
 * A data set's labels as the one-hot rows [n, classes] a graph that reads "label" takes,
 * written per batch from the host labels (one byte a sample) straight into the label
 * tensor: exact zeros and ones, the rows an in-heap one-hot upload would copy, with no heap
 * of its own — so a labelled set's heap does not grow with it either.
 */
export class LabelStream implements BatchData {
  readonly n: number;
  readonly size: number;
  readonly heapFloats = 0;

  /** Throws DataError when a label is missing or outside 0 .. classes - 1 (validated before any batch). */
  constructor(
    readonly kernels: Kernels,
    private readonly labels: Uint8Array,
    n: number,
    classes: number,
    what: string,
  ) {
    if (labels.length !== n) throw new DataError(`${what}: the model's graph reads labels, but the data has ${labels.length} labels for ${n} samples`);
    for (let i = 0; i < n; i++) {
      if (labels[i]! >= classes) throw new DataError(`${what}: label ${labels[i]} of sample ${i} is outside 0..${classes - 1} (the model's graph has ${classes} label classes)`);
    }
    this.n = n;
    this.size = classes;
  }

  gather(order: Uint32Array | null, start: number, n: number, dst: number): void {
    const d = this.kernels.heap.data;
    const classes = this.size;
    d.fill(0, dst, dst + n * classes);
    for (let r = 0; r < n; r++) d[dst + r * classes + this.labels[order === null ? start + r : order[start + r]!]!] = 1;
  }

  free(): void {}
}
