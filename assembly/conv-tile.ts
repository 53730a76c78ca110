// The tile machinery of the implicit-GEMM convolutions, shared by the forward
// (conv-forward-implicit.ts) and the input gradient (conv-input-grad-parity.ts): the
// MR x 8 micro-kernel that reads its MR A rows through a table of pointers, the TAB
// layout that holds those pointers and the tile's output rows, and the helpers that fill
// it (setRow, endTile) and copy a partial panel out of DUMP (flushPartialPanel).
//
// A tile is MR GEMM rows (output pixels, crossing rows and images) x one 8-column panel.
// Rows past the end of the data repeat row 0's run and write DUMP, as do the columns of a
// partial panel, so the micro-kernel never branches on the tile's shape.

import { MR, dumpPtr, tabPtr } from './scratch';
import { madd } from './simd';

/** Packed-kernel panels the DUMP area and TAB tables have room for (output channels <= 1024). */
export const MAX_PANELS = 128;

// TAB layout (32-bit entries): per tile row r < MR, A[r] (its first run; an address
// outside x when that run starts in the padding), ROW[r] and COL[r] (the run's first row
// and column in x), OUT[r] (its output row); C[panel][r] from 64; per-kernel-row A
// tables SEG[ky][r] from 1024.
export const TAB_A = 0;
export const TAB_ROW = 8 * 4;
export const TAB_COL = 16 * 4;
export const TAB_OUT = 24 * 4;
export const TAB_C = 64 * 4;
export const TAB_SEG = 1024 * 4;
/** ROW of a tile row past the end: outside x for every kernel row. */
const NO_ROW: i32 = -0x40000000;

/**
 * The MR x 8 micro-kernel: C[r, 0..8] (+)= Σ_k A_r[k] B[k, 0..8] for MR rows, A_r at
 * aTab[r] + aOff (byte addresses), B a packed [kc][8] panel, C rows at cTab[0..MR];
 * accumulate 0 starts from zero. 2 MR accumulators + 2 B + 1 broadcast (+ 1 product with
 * mul + add): 15 live v128 at MR = 6, 14 at MR = 5. Rows past 5 sit under `MR > 5`, a
 * compile-time constant that Binaryen folds away.
 * Not @inline, and called from more than one place so that Binaryen does not inline it
 * either: inlined, V8 spills its accumulators (half speed). Looping over kernel rows
 * inside it (a loop nest, or one loop per row in sequence) also spills.
 */
export function implicitMicro(kc: i32, aTab: usize, aOff: usize, b: usize, cTab: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  if (accumulate) {
    let c = load<usize>(cTab);
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c = load<usize>(cTab, 4);
    c10 = v128.load(c); c11 = v128.load(c, 16);
    c = load<usize>(cTab, 8);
    c20 = v128.load(c); c21 = v128.load(c, 16);
    c = load<usize>(cTab, 12);
    c30 = v128.load(c); c31 = v128.load(c, 16);
    c = load<usize>(cTab, 16);
    c40 = v128.load(c); c41 = v128.load(c, 16);
    if (MR > 5) {
      c = load<usize>(cTab, 20);
      c50 = v128.load(c); c51 = v128.load(c, 16);
    }
  }
  let a0 = load<usize>(aTab) + aOff, a1 = load<usize>(aTab, 4) + aOff, a2 = load<usize>(aTab, 8) + aOff;
  let a3 = load<usize>(aTab, 12) + aOff, a4 = load<usize>(aTab, 16) + aOff, a5 = MR > 5 ? load<usize>(aTab, 20) + aOff : 0;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a0);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(a1);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(a2);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(a3);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    av = v128.load32_splat(a4);
    c40 = madd(av, b0, c40); c41 = madd(av, b1, c41);
    if (MR > 5) {
      av = v128.load32_splat(a5);
      c50 = madd(av, b0, c50); c51 = madd(av, b1, c51);
    }
    a0 += 4; a1 += 4; a2 += 4; a3 += 4; a4 += 4;
    if (MR > 5) a5 += 4;
    b += 32;
  }
  let c = load<usize>(cTab);
  v128.store(c, c00); v128.store(c, c01, 16);
  c = load<usize>(cTab, 4);
  v128.store(c, c10); v128.store(c, c11, 16);
  c = load<usize>(cTab, 8);
  v128.store(c, c20); v128.store(c, c21, 16);
  c = load<usize>(cTab, 12);
  v128.store(c, c30); v128.store(c, c31, 16);
  c = load<usize>(cTab, 16);
  v128.store(c, c40); v128.store(c, c41, 16);
  if (MR > 5) {
    c = load<usize>(cTab, 20);
    v128.store(c, c50); v128.store(c, c51, 16);
  }
}

/**
 * C = Σ over segs kernel rows s of A_s B_s, one call per row: row s reads tile row r at
 * aTab[s aTabStep + r] + s aSegOff (a tile inside a padded copy uses one table and a
 * fixed offset per kernel row) and the panel at b + s bSegStep.
 */
@inline export function micro(
  kc: i32, segs: i32, aTab: usize, aTabStep: usize, aSegOff: usize, b: usize, bSegStep: usize, cTab: usize,
): void {
  let aOff: usize = 0;
  for (let s = 0; s < segs; s++) {
    implicitMicro(kc, aTab, aOff, b, cTab, s > 0);
    aTab += aTabStep;
    aOff += aSegOff;
    b += bSegStep;
  }
}

/** Records GEMM row r of the tile: its first run, that run's position in x, its output row. */
@inline export function setRow(r: i32, a: usize, row: i32, col: i32, out: usize, panels: i32, full: i32): void {
  const t = tabPtr;
  const ro = <usize>r << 2;
  store<usize>(t + TAB_A + ro, a);
  store<i32>(t + TAB_ROW + ro, row);
  store<i32>(t + TAB_COL + ro, col);
  store<usize>(t + TAB_OUT + ro, out);
  let c = t + TAB_C + ro;
  for (let p = 0; p < panels; p++) {
    store<usize>(c, (p << 3) < full ? out + (<usize>p << 5) : dumpPtr + (<usize>((p * MR + r) * 8) << 2));
    c += <usize>MR << 2;
  }
}

/**
 * Marks rows r .. MR of the tile as past the end: they repeat row 0's run (or read ZERO
 * when row 0's position says so) and write DUMP.
 */
export function endTile(r: i32, panels: i32): void {
  const t = tabPtr;
  const a0 = load<usize>(t + TAB_A);
  for (; r < MR; r++) {
    const ro = <usize>r << 2;
    store<usize>(t + TAB_A + ro, a0);
    store<i32>(t + TAB_ROW + ro, NO_ROW);
    store<i32>(t + TAB_COL + ro, 0);
    for (let p = 0; p < panels; p++) {
      store<usize>(t + TAB_C + (<usize>(p * MR + r) << 2), dumpPtr + (<usize>((p * MR + r) * 8) << 2));
    }
  }
}

/** Copies the partial panel's columns full .. nout of tile rows r < mr from DUMP to OUT[r]. */
export function flushPartialPanel(mr: i32, panels: i32, full: i32, nout: i32): void {
  const src0 = dumpPtr + (<usize>((panels - 1) * MR * 8) << 2);
  for (let r = 0; r < mr; r++) {
    const src = src0 + (<usize>(r * 8) << 2);
    const dst = load<usize>(tabPtr + TAB_OUT + (<usize>r << 2)) + (<usize>full << 2);
    for (let c = 0; c < nout - full; c++) store<f32>(dst + (<usize>c << 2), load<f32>(src + (<usize>c << 2)));
  }
}
