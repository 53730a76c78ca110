// Keras' output sizes and padding split for convolutions, transposed convolutions and
// pooling (TF's SAME: total padding max((out - 1) s + k - in, 0), the smaller half
// before, the odd extra after — at the bottom / right).

import { ShapeError } from '../errors.js';
import type { ConvGeom, PoolGeom } from './kernels.js';

export type Padding = 'same' | 'valid';

/** Output length and padding before, along one axis of a convolution or pooling window. */
export function convAxis(inSize: number, k: number, s: number, padding: Padding): { out: number; padBefore: number } {
  if (padding === 'same') {
    const out = Math.ceil(inSize / s);
    const total = Math.max((out - 1) * s + k - inSize, 0);
    return { out, padBefore: Math.floor(total / 2) };
  }
  const out = Math.floor((inSize - k) / s) + 1;
  return { out: Math.max(out, 0), padBefore: 0 };
}

/** Output length of a transposed convolution along one axis (Keras deconv_output_length). */
export function convTransposeAxis(inSize: number, k: number, s: number, padding: Padding): { out: number; padBefore: number } {
  if (padding === 'same') {
    const out = inSize * s;
    // The transposed op is the input gradient of a SAME conv from `out` down to `inSize`.
    return { out, padBefore: convAxis(out, k, s, 'same').padBefore };
  }
  return { out: inSize * s + Math.max(k - s, 0), padBefore: 0 };
}

function checkPositive(what: string, values: Record<string, number>): void {
  for (const [name, v] of Object.entries(values)) {
    if (!Number.isInteger(v) || v < 1) throw new ShapeError(`${what}: ${name} must be a positive integer, got ${v}`);
  }
}

/** Geometry of Conv2D on [n, ih, iw, cin] with a [kh, kw, cin, cout] kernel. */
export function conv2dGeometry(
  n: number, ih: number, iw: number, cin: number, cout: number,
  kh: number, kw: number, sh: number, sw: number, padding: Padding,
): ConvGeom {
  checkPositive('Conv2D', { ih, iw, cin, cout, kh, kw, sh, sw });
  const y = convAxis(ih, kh, sh, padding);
  const x = convAxis(iw, kw, sw, padding);
  if (y.out < 1 || x.out < 1) {
    throw new ShapeError(`Conv2D: a ${kh}x${kw} '${padding}' kernel does not fit a ${ih}x${iw} input`);
  }
  return { n, ih, iw, cin, oh: y.out, ow: x.out, cout, kh, kw, sh, sw, padTop: y.padBefore, padLeft: x.padBefore };
}

/**
 * Geometry of Conv2DTranspose on [n, ih, iw, cin] with a Keras [kh, kw, cout, cin] kernel,
 * expressed as the conv whose input gradient it is: that conv maps [n, oh, ow, cout]
 * (our output) to [n, ih, iw, cin] (our input) with an HWIO kernel [kh, kw, cout, cin].
 * So in the returned ConvGeom, `ih/iw/cin` describe the transposed conv's OUTPUT.
 */
export function conv2dTransposeGeometry(
  n: number, ih: number, iw: number, cin: number, cout: number,
  kh: number, kw: number, sh: number, sw: number, padding: Padding,
): ConvGeom {
  checkPositive('Conv2DTranspose', { ih, iw, cin, cout, kh, kw, sh, sw });
  const y = convTransposeAxis(ih, kh, sh, padding);
  const x = convTransposeAxis(iw, kw, sw, padding);
  return { n, ih: y.out, iw: x.out, cin: cout, oh: ih, ow: iw, cout: cin, kh, kw, sh, sw, padTop: y.padBefore, padLeft: x.padBefore };
}

/** Geometry of MaxPooling2D (strides default to the pool size, as in Keras). */
export function pool2dGeometry(
  n: number, ih: number, iw: number, c: number,
  ph: number, pw: number, sh: number, sw: number, padding: Padding,
): PoolGeom {
  checkPositive('MaxPooling2D', { ih, iw, c, ph, pw, sh, sw });
  const y = convAxis(ih, ph, sh, padding);
  const x = convAxis(iw, pw, sw, padding);
  if (y.out < 1 || x.out < 1) {
    throw new ShapeError(`MaxPooling2D: a ${ph}x${pw} '${padding}' window does not fit a ${ih}x${iw} input`);
  }
  return { n, ih, iw, c, oh: y.out, ow: x.out, ph, pw, sh, sw, padTop: y.padBefore, padLeft: x.padBefore };
}
