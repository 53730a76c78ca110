// A data set uploaded once into the model's heap, so a step gathers its batch with
// in-heap copies (no per-step JS arrays).

import type { Dataset } from '../data/dataset.js';
import { imageSize, shapeText } from '../data/dataset.js';
import { ShapeError } from '../errors.js';
import type { Kernels } from '../kernels/kernels.js';
import { formatShape, sizeOf, type Shape } from '../nn/tensor.js';

export class DeviceData {
  readonly n: number;
  readonly size: number;
  readonly offset: number;

  constructor(
    readonly kernels: Kernels,
    readonly ds: Dataset,
    inputShape: Shape,
    what: string,
  ) {
    this.size = imageSize(ds);
    if (this.size !== sizeOf(inputShape)) {
      throw new ShapeError(`${what}: samples are ${shapeText(ds.shape)} but the model takes ${formatShape(inputShape)}`);
    }
    this.n = ds.n;
    this.offset = kernels.heap.alloc(Math.max(1, ds.images.length));
    kernels.heap.write(this.offset, ds.images);
  }

  /** Copies samples order[start .. start + n) (or start .. start + n when order is null) to dst. */
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
