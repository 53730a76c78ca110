// Concatenate along the last axis: x [rows, cols] is the column block [col, col + cols)
// of y [rows, yCols]. The forward overwrites its block of y; the backward writes or, with
// `accumulate` (a tensor that feeds several consumers sums their gradients), adds the
// block of dy into dx. Unaligned f32x4 loads and stores over each row's body (wasm allows
// any alignment), scalars over the tail, so no access passes a row's block.

@inline function copyBlock(src: usize, srcCols: i32, dst: usize, dstCols: i32, rows: i32, cols: i32, accumulate: bool): void {
  const c4 = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const sp = src + (<usize>(r * srcCols) << 2);
    const dp = dst + (<usize>(r * dstCols) << 2);
    for (let c = 0; c < c4; c += 4) {
      const o = <usize>c << 2;
      const v = v128.load(sp + o);
      v128.store(dp + o, accumulate ? f32x4.add(v128.load(dp + o), v) : v);
    }
    for (let c = c4; c < cols; c++) {
      const o = <usize>c << 2;
      const v = load<f32>(sp + o);
      store<f32>(dp + o, accumulate ? load<f32>(dp + o) + v : v);
    }
  }
}

/** Overwrites y[r, col + c] = x[r, c] for c < cols (y is [rows, yCols]). */
export function concatForward(x: i32, y: i32, rows: i32, cols: i32, yCols: i32, col: i32): void {
  copyBlock(<usize>x << 2, cols, (<usize>y + <usize>col) << 2, yCols, rows, cols, false);
}

/** dx[r, c] = dy[r, col + c] (accumulate 0: overwrites) or dx[r, c] += dy[r, col + c] (accumulate 1). */
export function concatBackward(dy: i32, dx: i32, rows: i32, cols: i32, dyCols: i32, col: i32, accumulate: i32): void {
  const src = (<usize>dy + <usize>col) << 2;
  if (accumulate) copyBlock(src, dyCols, <usize>dx << 2, cols, rows, cols, true);
  else copyBlock(src, dyCols, <usize>dx << 2, cols, rows, cols, false);
}
