// Concatenation along the last axis (Keras' Concatenate(axis=-1)): y[r] = [x1[r], x2[r], ...]
// for every row r of the leading dimensions (samples, or samples x H x W). On the
// manifest's concatForward / concatBackward kernels where the backend has them (the
// classification kernels), else a row copy per source: exact copies either way, the same
// on every backend and thread count. Backward splits dy back into each source's gradient:
// copies where this node writes it first, adds where another writer came first.

import type { Kernels } from '../kernels/kernels.js';

/** The concatenate kernels by the manifest's names (column block [col, col + cols) of y [rows, yCols]). */
interface ConcatKernels {
  concatForward(x: number, y: number, rows: number, cols: number, yCols: number, col: number): void;
  concatBackward(dy: number, dx: number, rows: number, cols: number, dyCols: number, col: number, accumulate: number): void;
}

function concatKernels(kernels: Kernels): ConcatKernels | null {
  const k = kernels as unknown as Partial<ConcatKernels>;
  return typeof k.concatForward === 'function' && typeof k.concatBackward === 'function' ? (k as ConcatKernels) : null;
}
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
    const k = concatKernels(kernels);
    let at = 0;
    this.sources.forEach((s, i) => {
      const w = this.widths[i]!;
      if (k) k.concatForward(s.x.offset, this.y.offset, rows, w, this.width, at);
      else for (let r = 0; r < rows; r++) kernels.copy(s.x.offset + r * w, this.y.offset + r * this.width + at, w);
      at += w;
    });
  }

  backward(kernels: Kernels, n: number): void {
    const rows = n * this.rowsPerSample;
    const k = concatKernels(kernels);
    let at = 0;
    this.sources.forEach((s, i) => {
      const w = this.widths[i]!;
      if (s.dx && k) k.concatBackward(this.dy!.offset, s.dx.offset, rows, w, this.width, at, s.first ? 0 : 1);
      else if (s.dx) {
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
