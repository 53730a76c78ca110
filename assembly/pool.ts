// Max pooling and nearest-neighbour upsampling over NHWC tensors. The backward kernels
// overwrite dx.

/** y = max over each window; cells outside the input (padding) never win. */
export function maxpool2dForward(
  x: i32, y: i32,
  n: i32, ih: i32, iw: i32, c: i32, oh: i32, ow: i32,
  ph: i32, pw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  const xp = <usize>x << 2;
  let yp = <usize>y << 2;
  const c4 = c & ~3;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = max(oy * sh - pt, 0);
      const y1 = min(oy * sh - pt + ph, ih);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = max(ox * sw - pl, 0);
        const x1 = min(ox * sw - pl + pw, iw);
        for (let ch = 0; ch < c4; ch += 4) {
          let m = f32x4.splat(-Infinity);
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = x0; ix < x1; ix++) {
              m = f32x4.pmax(m, v128.load(xp + ((<usize>(((b * ih + iy) * iw + ix) * c + ch)) << 2)));
            }
          }
          v128.store(yp + (<usize>ch << 2), m);
        }
        for (let ch = c4; ch < c; ch++) {
          let m: f32 = -Infinity;
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = x0; ix < x1; ix++) {
              const v = load<f32>(xp + ((<usize>(((b * ih + iy) * iw + ix) * c + ch)) << 2));
              m = m < v ? v : m;
            }
          }
          store<f32>(yp + (<usize>ch << 2), m);
        }
        yp += <usize>c << 2;
      }
    }
  }
}

/**
 * Overwrites dx: each window's dy goes to the first cell (row-major in the window) that
 * holds the window's maximum, recomputed from x; overlapping windows add.
 */
export function maxpool2dBackward(
  x: i32, dy: i32, dx: i32,
  n: i32, ih: i32, iw: i32, c: i32, oh: i32, ow: i32,
  ph: i32, pw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  const xp = <usize>x << 2;
  const dxp = <usize>dx << 2;
  let dyp = <usize>dy << 2;
  memory.fill(dxp, 0, <usize>(n * ih * iw * c) << 2);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = max(oy * sh - pt, 0);
      const y1 = min(oy * sh - pt + ph, ih);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = max(ox * sw - pl, 0);
        const x1 = min(ox * sw - pl + pw, iw);
        for (let ch = 0; ch < c; ch++) {
          let m: f32 = -Infinity;
          let at: usize = 0;
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = x0; ix < x1; ix++) {
              const o = (<usize>(((b * ih + iy) * iw + ix) * c + ch)) << 2;
              const v = load<f32>(xp + o);
              if (v > m || at == 0) {
                m = v;
                at = o + 1;
              }
            }
          }
          if (at != 0) {
            const o = at - 1;
            store<f32>(dxp + o, load<f32>(dxp + o) + load<f32>(dyp + (<usize>ch << 2)));
          }
        }
        dyp += <usize>c << 2;
      }
    }
  }
}

/** Overwrites y[n, h sh, w sw, c] with each input cell repeated over its block. */
export function upsample2dForward(x: i32, y: i32, n: i32, h: i32, w: i32, c: i32, sh: i32, sw: i32): void {
  let xp = <usize>x << 2;
  let yp = <usize>y << 2;
  const cBytes = <usize>c << 2;
  const outRowBytes = <usize>(w * sw * c) << 2;
  for (let b = 0; b < n; b++) {
    for (let iy = 0; iy < h; iy++) {
      const rowStart = yp;
      // Build the first output row of this input row, then copy it sh - 1 times.
      for (let ix = 0; ix < w; ix++) {
        for (let j = 0; j < sw; j++) {
          memory.copy(yp, xp, cBytes);
          yp += cBytes;
        }
        xp += cBytes;
      }
      for (let i = 1; i < sh; i++) {
        memory.copy(yp, rowStart, outRowBytes);
        yp += outRowBytes;
      }
    }
  }
}

/** Overwrites dx[n, h, w, c] = sum of dy over each sh x sw block. */
export function upsample2dBackward(dy: i32, dx: i32, n: i32, h: i32, w: i32, c: i32, sh: i32, sw: i32): void {
  const dyp = <usize>dy << 2;
  let dxp = <usize>dx << 2;
  const ow = w * sw;
  const oh = h * sh;
  const c4 = c & ~3;
  for (let b = 0; b < n; b++) {
    for (let iy = 0; iy < h; iy++) {
      for (let ix = 0; ix < w; ix++) {
        for (let ch = 0; ch < c4; ch += 4) {
          let acc = f32x4.splat(0);
          for (let i = 0; i < sh; i++) {
            for (let j = 0; j < sw; j++) {
              acc = f32x4.add(acc, v128.load(dyp + ((<usize>(((b * oh + iy * sh + i) * ow + ix * sw + j) * c + ch)) << 2)));
            }
          }
          v128.store(dxp + (<usize>ch << 2), acc);
        }
        for (let ch = c4; ch < c; ch++) {
          let acc: f32 = 0;
          for (let i = 0; i < sh; i++) {
            for (let j = 0; j < sw; j++) {
              acc += load<f32>(dyp + ((<usize>(((b * oh + iy * sh + i) * ow + ix * sw + j) * c + ch)) << 2));
            }
          }
          store<f32>(dxp + (<usize>ch << 2), acc);
        }
        dxp += <usize>c << 2;
      }
    }
  }
}
