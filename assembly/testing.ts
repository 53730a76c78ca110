// Test-only entry, compiled into build/kernels-test.wasm and build/kernels-relaxed-test.wasm
// (scripts/build-wasm.ts --tests), never into a production build: the ABI of index.ts plus
// thin wrappers that run one micro-kernel family on a tile the test lays out, so a test
// sweeps rows 1..MR, columns 1..8 and depths directly instead of steering dispatch.
// Offsets are floats, as in the ABI; each wrapper sets up what the family's real callers
// set up (tables, DUMP, partial panels) with the same helpers.

import { MR, NR, packBPtr, tabPtr, workPtr } from './scratch';
import { sgemmMicro } from './gemm';
import { TAB_A, TAB_C, endTile, flushPartialPanel, micro, setRow } from './conv-tile';
import { filterMicro } from './conv-filter-grad-implicit';

export * from './index';

/**
 * sgemm's micro-kernel on one tile: C[mr, nr] (ldc) = alpha Aᵀ B + beta C, A a packed
 * [kc][MR] panel, B a packed [kc][8] panel (rows of A past mr and columns of B past nr
 * are read but must not reach C).
 */
export function testSgemmMicro(kc: i32, a: i32, b: i32, c: i32, ldc: i32, alpha: f32, beta: f32, mr: i32, nr: i32): void {
  sgemmMicro(kc, <usize>a << 2, <usize>b << 2, <usize>c << 2, ldc, alpha, beta, mr, nr);
}

/**
 * The implicit-GEMM micro-kernel over segs kernel rows, as conv-forward-implicit.ts runs
 * it on a padded copy: C[r, j] = Σ_s Σ_k A[r lda + s segOff + k] B[s][k][j] for r < mr,
 * j < nr, B packed [segs][kc][8]. Rows past mr go to DUMP (endTile); nr < 8 makes the
 * tile's panel a partial one, summed in DUMP and copied out (flushPartialPanel).
 * Overwrites C.
 */
export function testImplicitMicro(kc: i32, segs: i32, a: i32, lda: i32, segOff: i32, b: i32, c: i32, ldc: i32, mr: i32, nr: i32): void {
  const full = nr == NR ? NR : 0;
  for (let r = 0; r < mr; r++) {
    setRow(r, (<usize>a + <usize>r * lda) << 2, 0, 0, (<usize>c + <usize>r * ldc) << 2, 1, full);
  }
  if (mr < MR) endTile(mr, 1);
  micro(kc, segs, tabPtr + TAB_A, 0, <usize>segOff << 2, <usize>b << 2, <usize>(kc * NR) << 2, tabPtr + TAB_C);
  if (full < nr) flushPartialPanel(mr, 1, full, nr);
}

/**
 * The filter-gradient micro-kernel as conv-filter-grad-implicit.ts runs it on one m-tile
 * and panel: C[r, j] = Σ_p A[p lda + r] B[p ldb + j] for r < mr, j < nr over np pixels,
 * pixels found through a table of byte offsets. The first `first` pixels start from zero,
 * the rest accumulate (the two call sites of a block loop). Rows MR past each pixel's
 * mr are read (as the last m-tile of a run reads past it) but never reach C; columns
 * past nr are zero-padded into WORK as a partial panel of dy is. Overwrites C.
 */
export function testFilterMicro(np: i32, first: i32, a: i32, lda: i32, b: i32, ldb: i32, c: i32, ldc: i32, mr: i32, nr: i32): void {
  const offs = workPtr;
  for (let p = 0; p < np; p++) store<usize>(offs + (<usize>p << 2), (<usize>p * lda) << 2);
  let bp = <usize>b << 2;
  let bStep = <usize>ldb << 2;
  if (nr < NR) {
    const part = offs + (<usize>np << 2);
    for (let p = 0; p < np; p++) {
      for (let j = 0; j < NR; j++) {
        store<f32>(part + (<usize>(p * NR + j) << 2), j < nr ? load<f32>(bp + (<usize>(p * ldb + j) << 2)) : 0);
      }
    }
    bp = part;
    bStep = NR << 2;
  }
  const acc = packBPtr;
  const ap = <usize>a << 2;
  const ldAcc: usize = NR << 2;
  filterMicro(first, ap, offs, bp, bStep, acc, ldAcc, false);
  if (np > first) filterMicro(np - first, ap, offs + (<usize>first << 2), bp + <usize>first * bStep, bStep, acc, ldAcc, true);
  for (let r = 0; r < mr; r++) {
    for (let j = 0; j < nr; j++) {
      store<f32>((<usize>c + <usize>(r * ldc + j)) << 2, load<f32>(acc + (<usize>(r * NR + j) << 2)));
    }
  }
}
