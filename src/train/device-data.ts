// A data set uploaded whole into the model's heap as float32 model values, so a step
// gathers its batch with in-heap copies. The alternative to streaming (stream.ts), kept
// for the scale benchmark's comparison and as TrainOptions.dataInHeap: it costs
// 4 bytes per value of heap, and the heap is capped (1 GiB for threads builds).

import type { Dataset } from '../data/dataset.js';
import { chunkSamples, readSamples } from '../data/storage.js';
import type { Kernels } from '../kernels/kernels.js';
import type { Shape } from '../nn/tensor.js';
import { checkSampleShape, type BatchData } from './stream.js';

export class DeviceData implements BatchData {
  readonly n: number;
  readonly size: number;
  readonly offset: number;
  readonly heapFloats: number;

  constructor(
    readonly kernels: Kernels,
    readonly ds: Dataset,
    inputShape: Shape,
    what: string,
  ) {
    this.size = checkSampleShape(ds, inputShape, what);
    this.n = ds.n;
    this.heapFloats = Math.max(1, ds.n * this.size);
    this.offset = kernels.heap.alloc(this.heapFloats);
    if (!ds.storage) {
      kernels.heap.write(this.offset, ds.images);
      return;
    }
    // Stored samples are uploaded a chunk at a time, never as one host float32 copy.
    const chunk = chunkSamples(this.size);
    for (let start = 0; start < ds.n; start += chunk) readSamples(ds, start, Math.min(chunk, ds.n - start), kernels.heap.data, this.offset + start * this.size);
  }

  gather(order: Uint32Array | null, start: number, n: number, dst: number): void {
    const kernels = this.kernels;
    const size = this.size;
    if (order === null) {
      kernels.copy(this.offset + start * size, dst, n * size);
      return;
    }
    for (let r = 0; r < n; r++) kernels.copy(this.offset + order[start + r]! * size, dst + r * size, size);
  }

  free(): void {
    this.kernels.heap.free(this.offset);
  }
}
