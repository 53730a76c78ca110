// The memory plan of one compiled graph: every buffer it allocates, freed together.

import type { Kernels } from '../kernels/kernels.js';
import { sizeOf, type Shape, type Tensor } from './tensor.js';

export class Planner {
  private readonly owned: number[] = [];
  constructor(readonly kernels: Kernels) {}

  /** A new tensor of the given full shape (batch first). Contents start at zero. */
  tensor(shape: Shape): Tensor {
    const offset = this.kernels.heap.allocZeroed(sizeOf(shape));
    this.owned.push(offset);
    return { offset, shape };
  }

  /** A view of an existing buffer under another shape of the same size. */
  alias(t: Tensor, shape: Shape): Tensor {
    return { offset: t.offset, shape };
  }

  /** Scalar work space of n elements (e.g. per-row loss sums). */
  scratch(n: number): number {
    const offset = this.kernels.heap.allocZeroed(n);
    this.owned.push(offset);
    return offset;
  }

  /** Frees everything this plan allocated. */
  release(): void {
    for (const off of this.owned) this.kernels.heap.free(off);
    this.owned.length = 0;
  }
}
