// Concatenation along the last axis (Keras' Concatenate(axis=-1)): y[r] = [x1[r], x2[r], ...]
// for every row r of the leading dimensions (samples, or samples x H x W). Until the
// kernels helper's Concatenate kernel lands, a row copy per source: the same order of
// writes on every backend and thread count. Backward splits dy back into each source's
// gradient: copies where this node writes it first, adds where another writer came first.

import type { Kernels } from '../kernels/kernels.js';
import { sizeOf, type Tensor } from './tensor.js';

export interface ConcatSource {
  x: Tensor;
  dx: Tensor | null;
  /** Whether this node is the first writer of dx (copy) or a later one (add). */
  first: boolean;
}

export class Concat {
  /** Rows per sample (product of the dimensions between batch and last) and each source's width. */
  private readonly rowsPerSample: number;
  private readonly widths: number[];
  private readonly width: number;

  constructor(
    private readonly sources: readonly ConcatSource[],
    readonly y: Tensor,
    readonly dy: Tensor | null,
  ) {
    const shape = y.shape;
    this.rowsPerSample = sizeOf(shape.slice(1, -1));
    this.widths = sources.map((s) => s.x.shape[s.x.shape.length - 1]!);
    this.width = shape[shape.length - 1]!;
  }

  forward(kernels: Kernels, n: number): void {
    const rows = n * this.rowsPerSample;
    let at = 0;
    this.sources.forEach((s, i) => {
      const w = this.widths[i]!;
      for (let r = 0; r < rows; r++) kernels.copy(s.x.offset + r * w, this.y.offset + r * this.width + at, w);
      at += w;
    });
  }

  backward(kernels: Kernels, n: number): void {
    const rows = n * this.rowsPerSample;
    let at = 0;
    this.sources.forEach((s, i) => {
      const w = this.widths[i]!;
      if (s.dx) {
        for (let r = 0; r < rows; r++) {
          const from = this.dy!.offset + r * this.width + at;
          const to = s.dx.offset + r * w;
          if (s.first) kernels.copy(from, to, w);
          else kernels.add(to, from, to, w);
        }
      }
      at += w;
    });
  }
}
