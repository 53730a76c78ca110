// Elementwise kernels: bias + activation forward / backward, bias gradient, and the
// arithmetic ops the models need with their gradients. Tensors are element offsets
// (f32 index); outputs may alias inputs. Every loop runs f32x4 over the body and the
// same arithmetic in scalar over the tail, so no access passes the end of a tensor.
// Every backward kernel here overwrites its gradient output.

import { hsum } from './simd';
import { expv, exps, sigmoidv, sigmoids, tanhv, tanhs } from './vmath';
import {
  SELU_ALPHA, SELU_SCALE, eluv, expm1v, geluSlopev, geluTanhSlopev, geluTanhv, geluv, lane0, seluv, siluSlopev, siluv, softplusv,
} from './vmath';

export const ACT_LINEAR = 0;
export const ACT_RELU = 1;
export const ACT_LEAKY = 2;
export const ACT_SIGMOID = 3;
export const ACT_TANH = 4;
export const ACT_EXP = 5;
// Their gradients come from the output y (elu, selu, softplus: invertible) or, for
// ACT_GELU, ACT_GELU_TANH and ACT_SILU (not invertible), from the input x, which the
// layers keep for them; actBackward's first tensor is whichever the code needs.
export const ACT_ELU = 6;
export const ACT_SELU = 7;
export const ACT_GELU = 8;
export const ACT_GELU_TANH = 9;
export const ACT_SOFTPLUS = 10;
export const ACT_SILU = 11;

@inline function actv(v: v128, act: i32, alpha: v128): v128 {
  if (act == ACT_RELU) return f32x4.pmax(v, f32x4.splat(0));
  if (act == ACT_LEAKY) return v128.bitselect(f32x4.mul(v, alpha), v, f32x4.lt(v, f32x4.splat(0)));
  if (act == ACT_SIGMOID) return sigmoidv(v);
  if (act == ACT_TANH) return tanhv(v);
  if (act == ACT_EXP) return expv(v);
  if (act == ACT_ELU) return eluv(v, alpha);
  if (act == ACT_SELU) return seluv(v);
  if (act == ACT_GELU) return geluv(v);
  if (act == ACT_GELU_TANH) return geluTanhv(v);
  if (act == ACT_SOFTPLUS) return softplusv(v);
  if (act == ACT_SILU) return siluv(v);
  return v;
}

@inline function acts(x: f32, act: i32, alpha: f32): f32 {
  if (act == ACT_RELU) return x < 0 ? 0 : x;
  if (act == ACT_LEAKY) return x < 0 ? x * alpha : x;
  if (act == ACT_SIGMOID) return sigmoids(x);
  if (act == ACT_TANH) return tanhs(x);
  if (act == ACT_EXP) return exps(x);
  if (act >= ACT_ELU) return lane0(actv(f32x4.splat(x), act, f32x4.splat(alpha)));
  return x;
}

/** y = act(x) over n elements (no bias). */
@inline function actRange(x: usize, y: usize, n: i32, act: i32, alpha: f32): void {
  const av = f32x4.splat(alpha);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, actv(v128.load(x + o), act, av));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, acts(load<f32>(x + o), act, alpha));
  }
}

/** y[r, c] = act(x[r, c] + bias[c]) with bias (cols a multiple of 4). */
@inline function biasActRows4(x: usize, b: usize, y: usize, rows: i32, cols: i32, act: i32, alpha: f32): void {
  const av = f32x4.splat(alpha);
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    for (let o: usize = 0; o < rowBytes; o += 16) {
      v128.store(y + o, actv(f32x4.add(v128.load(x + o), v128.load(b + o)), act, av));
    }
    x += rowBytes;
    y += rowBytes;
  }
}

/** cols 1 or 2: the bias repeats every 4 elements, so run flat over rows * cols. */
@inline function biasActFlat(x: usize, b: usize, y: usize, rows: i32, cols: i32, act: i32, alpha: f32): void {
  const av = f32x4.splat(alpha);
  const b0 = load<f32>(b);
  const b1 = cols == 2 ? load<f32>(b, 4) : b0;
  const bv = f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(b0), 1, b1), 3, b1);
  const n = rows * cols;
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, actv(f32x4.add(v128.load(x + o), bv), act, av));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, acts(load<f32>(x + o) + (i % cols == 0 ? b0 : b1), act, alpha));
  }
}

/** Any cols: vector body per row, scalar tail per row. */
@inline function biasActRowsAny(x: usize, b: usize, y: usize, rows: i32, cols: i32, act: i32, alpha: f32): void {
  const av = f32x4.splat(alpha);
  const c4 = cols & ~3;
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < c4; c += 4) {
      const o = <usize>c << 2;
      v128.store(y + o, actv(f32x4.add(v128.load(x + o), v128.load(b + o)), act, av));
    }
    for (let c = c4; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(y + o, acts(load<f32>(x + o) + load<f32>(b + o), act, alpha));
    }
    x += rowBytes;
    y += rowBytes;
  }
}

@inline function biasActAll(x: usize, b: i32, y: usize, rows: i32, cols: i32, act: i32, alpha: f32): void {
  if (b < 0) actRange(x, y, rows * cols, act, alpha);
  else {
    const bp = <usize>b << 2;
    if ((cols & 3) == 0) biasActRows4(x, bp, y, rows, cols, act, alpha);
    else if (cols <= 2) biasActFlat(x, bp, y, rows, cols, act, alpha);
    else biasActRowsAny(x, bp, y, rows, cols, act, alpha);
  }
}

/** y[r, c] = act(x[r, c] + bias[c]); bias < 0 means no bias. */
export function biasActForward(x: i32, bias: i32, y: i32, rows: i32, cols: i32, act: i32, alpha: f32): void {
  const xp = <usize>x << 2;
  const yp = <usize>y << 2;
  // One specialised loop per activation: the constant folds the activation's branches.
  switch (act) {
    case ACT_LINEAR: biasActAll(xp, bias, yp, rows, cols, ACT_LINEAR, alpha); break;
    case ACT_RELU: biasActAll(xp, bias, yp, rows, cols, ACT_RELU, alpha); break;
    case ACT_LEAKY: biasActAll(xp, bias, yp, rows, cols, ACT_LEAKY, alpha); break;
    case ACT_SIGMOID: biasActAll(xp, bias, yp, rows, cols, ACT_SIGMOID, alpha); break;
    case ACT_TANH: biasActAll(xp, bias, yp, rows, cols, ACT_TANH, alpha); break;
    case ACT_EXP: biasActAll(xp, bias, yp, rows, cols, ACT_EXP, alpha); break;
    default: biasActForwardMore(xp, bias, yp, rows, cols, act, alpha);
  }
}

// The activations from ACT_ELU on run in functions of their own (each holds a loop, so
// Binaryen does not inline it): merged into the switch above, their longer bodies made the
// optimizer fold every case into one loop that tests the code per vector, slowing relu and
// sigmoid by 5-20%. Apart, the older loops compile exactly as before.
function biasActForwardMore(x: usize, b: i32, y: usize, rows: i32, cols: i32, act: i32, alpha: f32): void {
  switch (act) {
    case ACT_ELU: biasActElu(x, b, y, rows, cols, alpha); break;
    case ACT_SELU: biasActSelu(x, b, y, rows, cols, alpha); break;
    case ACT_GELU: biasActGelu(x, b, y, rows, cols, alpha); break;
    case ACT_GELU_TANH: biasActGeluTanh(x, b, y, rows, cols, alpha); break;
    case ACT_SOFTPLUS: biasActSoftplus(x, b, y, rows, cols, alpha); break;
    case ACT_SILU: biasActSilu(x, b, y, rows, cols, alpha); break;
    default: unreachable();
  }
}

function biasActElu(x: usize, b: i32, y: usize, rows: i32, cols: i32, alpha: f32): void {
  biasActAll(x, b, y, rows, cols, ACT_ELU, alpha);
}
function biasActSelu(x: usize, b: i32, y: usize, rows: i32, cols: i32, alpha: f32): void {
  biasActAll(x, b, y, rows, cols, ACT_SELU, alpha);
}
function biasActGelu(x: usize, b: i32, y: usize, rows: i32, cols: i32, alpha: f32): void {
  biasActAll(x, b, y, rows, cols, ACT_GELU, alpha);
}
function biasActGeluTanh(x: usize, b: i32, y: usize, rows: i32, cols: i32, alpha: f32): void {
  biasActAll(x, b, y, rows, cols, ACT_GELU_TANH, alpha);
}
function biasActSoftplus(x: usize, b: i32, y: usize, rows: i32, cols: i32, alpha: f32): void {
  biasActAll(x, b, y, rows, cols, ACT_SOFTPLUS, alpha);
}
function biasActSilu(x: usize, b: i32, y: usize, rows: i32, cols: i32, alpha: f32): void {
  biasActAll(x, b, y, rows, cols, ACT_SILU, alpha);
}

@inline function dactv(y: v128, dy: v128, act: i32, alpha: v128): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1.0);
  if (act == ACT_RELU) return v128.and(dy, f32x4.gt(y, zero));
  if (act == ACT_LEAKY) return v128.bitselect(dy, f32x4.mul(dy, alpha), f32x4.gt(y, zero));
  if (act == ACT_SIGMOID) return f32x4.mul(dy, f32x4.mul(y, f32x4.sub(one, y)));
  if (act == ACT_TANH) return f32x4.mul(dy, f32x4.sub(one, f32x4.mul(y, y)));
  if (act == ACT_EXP) return f32x4.mul(dy, y);
  // elu' = 1 (y > 0), alpha exp(x) = y + alpha (y <= 0); selu' likewise times scale.
  if (act == ACT_ELU) return f32x4.mul(dy, v128.bitselect(one, f32x4.add(y, alpha), f32x4.gt(y, zero)));
  if (act == ACT_SELU) {
    const neg = f32x4.add(y, f32x4.splat(SELU_SCALE * SELU_ALPHA));
    return f32x4.mul(dy, v128.bitselect(f32x4.splat(SELU_SCALE), neg, f32x4.gt(y, zero)));
  }
  // softplus' = sigmoid(x) = 1 - exp(-y), as -expm1(-y) so small y keep their digits.
  if (act == ACT_SOFTPLUS) return f32x4.mul(dy, f32x4.neg(expm1v(f32x4.neg(y))));
  // Here y is the activation's input x.
  if (act == ACT_GELU) return f32x4.mul(dy, geluSlopev(y));
  if (act == ACT_GELU_TANH) return f32x4.mul(dy, geluTanhSlopev(y));
  if (act == ACT_SILU) return f32x4.mul(dy, siluSlopev(y));
  return dy;
}

@inline function dacts(y: f32, dy: f32, act: i32, alpha: f32): f32 {
  if (act == ACT_RELU) return y > 0 ? dy : 0;
  if (act == ACT_LEAKY) return y > 0 ? dy : dy * alpha;
  if (act == ACT_SIGMOID) return dy * (y * (1.0 - y));
  if (act == ACT_TANH) return dy * (1.0 - y * y);
  if (act == ACT_EXP) return dy * y;
  if (act >= ACT_ELU) return lane0(dactv(f32x4.splat(y), f32x4.splat(dy), act, f32x4.splat(alpha)));
  return dy;
}

@inline function actBackwardLoop(y: usize, dy: usize, dx: usize, n: i32, act: i32, alpha: f32): void {
  const av = f32x4.splat(alpha);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, dactv(v128.load(y + o), v128.load(dy + o), act, av));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, dacts(load<f32>(y + o), load<f32>(dy + o), act, alpha));
  }
}

/** Overwrites dx = dy * act'(.), from the activation's output y (its input x for gelu, gelu tanh, silu). */
export function actBackward(y: i32, dy: i32, dx: i32, n: i32, act: i32, alpha: f32): void {
  const yp = <usize>y << 2;
  const dyp = <usize>dy << 2;
  const dxp = <usize>dx << 2;
  switch (act) {
    case ACT_LINEAR: actBackwardLoop(yp, dyp, dxp, n, ACT_LINEAR, alpha); break;
    case ACT_RELU: actBackwardLoop(yp, dyp, dxp, n, ACT_RELU, alpha); break;
    case ACT_LEAKY: actBackwardLoop(yp, dyp, dxp, n, ACT_LEAKY, alpha); break;
    case ACT_SIGMOID: actBackwardLoop(yp, dyp, dxp, n, ACT_SIGMOID, alpha); break;
    case ACT_TANH: actBackwardLoop(yp, dyp, dxp, n, ACT_TANH, alpha); break;
    case ACT_EXP: actBackwardLoop(yp, dyp, dxp, n, ACT_EXP, alpha); break;
    default: actBackwardMore(yp, dyp, dxp, n, act, alpha);
  }
}

/** As biasActForwardMore: the newer activations' loops apart from the older ones. */
function actBackwardMore(y: usize, dy: usize, dx: usize, n: i32, act: i32, alpha: f32): void {
  switch (act) {
    case ACT_ELU: actBackwardElu(y, dy, dx, n, alpha); break;
    case ACT_SELU: actBackwardSelu(y, dy, dx, n, alpha); break;
    case ACT_GELU: actBackwardGelu(y, dy, dx, n, alpha); break;
    case ACT_GELU_TANH: actBackwardGeluTanh(y, dy, dx, n, alpha); break;
    case ACT_SOFTPLUS: actBackwardSoftplus(y, dy, dx, n, alpha); break;
    case ACT_SILU: actBackwardSilu(y, dy, dx, n, alpha); break;
    default: unreachable();
  }
}

function actBackwardElu(y: usize, dy: usize, dx: usize, n: i32, alpha: f32): void {
  actBackwardLoop(y, dy, dx, n, ACT_ELU, alpha);
}
function actBackwardSelu(y: usize, dy: usize, dx: usize, n: i32, alpha: f32): void {
  actBackwardLoop(y, dy, dx, n, ACT_SELU, alpha);
}
function actBackwardGelu(y: usize, dy: usize, dx: usize, n: i32, alpha: f32): void {
  actBackwardLoop(y, dy, dx, n, ACT_GELU, alpha);
}
function actBackwardGeluTanh(y: usize, dy: usize, dx: usize, n: i32, alpha: f32): void {
  actBackwardLoop(y, dy, dx, n, ACT_GELU_TANH, alpha);
}
function actBackwardSoftplus(y: usize, dy: usize, dx: usize, n: i32, alpha: f32): void {
  actBackwardLoop(y, dy, dx, n, ACT_SOFTPLUS, alpha);
}
function actBackwardSilu(y: usize, dy: usize, dx: usize, n: i32, alpha: f32): void {
  actBackwardLoop(y, dy, dx, n, ACT_SILU, alpha);
}

/**
 * Overwrites db[c] = sum over rows of dy[r, c]. Each column is summed in row order, four
 * columns per vector, so the result does not depend on how the columns are grouped.
 */
export function biasBackward(dy: i32, db: i32, rows: i32, cols: i32): void {
  const dyp = <usize>dy << 2;
  const dbp = <usize>db << 2;
  const rowBytes = <usize>cols << 2;
  // Sixteen columns a pass (four independent sums a row, and every line of a 16-channel
  // NHWC tensor read once), then four, then one; each column is summed in row order.
  const c16 = cols & ~15, c4 = cols & ~3;
  let c = 0;
  for (; c < c16; c += 16) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let p = dyp + (<usize>c << 2);
    for (let r = 0; r < rows; r++) {
      a0 = f32x4.add(a0, v128.load(p));
      a1 = f32x4.add(a1, v128.load(p, 16));
      a2 = f32x4.add(a2, v128.load(p, 32));
      a3 = f32x4.add(a3, v128.load(p, 48));
      p += rowBytes;
    }
    const q = dbp + (<usize>c << 2);
    v128.store(q, a0);
    v128.store(q, a1, 16);
    v128.store(q, a2, 32);
    v128.store(q, a3, 48);
  }
  for (; c < c4; c += 4) {
    let acc = f32x4.splat(0);
    let p = dyp + (<usize>c << 2);
    for (let r = 0; r < rows; r++) {
      acc = f32x4.add(acc, v128.load(p));
      p += rowBytes;
    }
    v128.store(dbp + (<usize>c << 2), acc);
  }
  for (; c < cols; c++) {
    let acc: f32 = 0;
    let p = dyp + (<usize>c << 2);
    for (let r = 0; r < rows; r++) {
      acc += load<f32>(p);
      p += rowBytes;
    }
    store<f32>(dbp + (<usize>c << 2), acc);
  }
}

export function fill(out: i32, n: i32, value: f32): void {
  const p = <usize>out << 2;
  const v = f32x4.splat(value);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) v128.store(p + (<usize>i << 2), v);
  for (let i = n4; i < n; i++) store<f32>(p + (<usize>i << 2), value);
}

export function copy(src: i32, dst: i32, n: i32): void {
  memory.copy(<usize>dst << 2, <usize>src << 2, <usize>n << 2);
}

// The arithmetic ops share one loop: out[i] = term(a[i], b[i]) with up to two scalars,
// the op a constant that inlining folds away (so each export compiles to its own loop,
// and an op that takes one tensor never loads a second).
const OP_ADD = 0;
const OP_MUL = 1;
const OP_SCALE = 2;
const OP_AXPY = 3;
const OP_SQUARE_BACKWARD = 4;
const OP_ABS = 5;
const OP_SIGN = 6;
const OP_ABS_BACKWARD = 7;
const OP_CLIP = 8;
const OP_CLIP_BACKWARD = 9;

@inline function takesB(op: i32): bool {
  return op != OP_SCALE && op != OP_ABS && op != OP_SIGN && op != OP_CLIP;
}

/** sign(v) as a vector: -1, 0 or 1 (NaN gives 0). */
@inline function signv(v: v128): v128 {
  const zero = f32x4.splat(0);
  const pos = v128.and(f32x4.gt(v, zero), f32x4.splat(1.0));
  const neg = v128.and(f32x4.lt(v, zero), f32x4.splat(-1.0));
  return v128.or(pos, neg);
}

@inline function signs(x: f32): f32 {
  return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;
}

@inline function termv(op: i32, x: v128, y: v128, sv: v128, tv: v128): v128 {
  if (op == OP_ADD) return f32x4.add(x, y);
  if (op == OP_MUL) return f32x4.mul(x, y);
  if (op == OP_SCALE) return f32x4.mul(x, sv);
  if (op == OP_AXPY) return f32x4.add(x, f32x4.mul(sv, y));
  if (op == OP_SQUARE_BACKWARD) return f32x4.mul(f32x4.mul(f32x4.splat(2.0), x), y);
  if (op == OP_ABS) return f32x4.abs(x);
  if (op == OP_SIGN) return signv(x);
  if (op == OP_ABS_BACKWARD) return f32x4.mul(signv(x), y);
  if (op == OP_CLIP) return f32x4.pmin(f32x4.pmax(x, sv), tv);
  // OP_CLIP_BACKWARD: y where sv <= x <= tv, else 0.
  return v128.and(y, v128.and(f32x4.ge(x, sv), f32x4.le(x, tv)));
}

@inline function terms(op: i32, x: f32, y: f32, s: f32, t: f32): f32 {
  if (op == OP_ADD) return x + y;
  if (op == OP_MUL) return x * y;
  if (op == OP_SCALE) return x * s;
  if (op == OP_AXPY) return x + s * y;
  if (op == OP_SQUARE_BACKWARD) return 2.0 * x * y;
  if (op == OP_ABS) return Mathf.abs(x);
  if (op == OP_SIGN) return signs(x);
  if (op == OP_ABS_BACKWARD) return signs(x) * y;
  if (op == OP_CLIP) {
    const c = x < s ? s : x;
    return t < c ? t : c;
  }
  return x >= s && x <= t ? y : 0;
}

@inline function elementwise(op: i32, a: i32, b: i32, out: i32, n: i32, s: f32, t: f32): void {
  elementwiseAt(op, <usize>a << 2, <usize>b << 2, <usize>out << 2, n, s, t);
}

/** The loop on byte addresses (pa, pb, po). */
@inline function elementwiseAt(op: i32, pa: usize, pb: usize, po: usize, n: i32, s: f32, t: f32): void {
  const sv = f32x4.splat(s), tv = f32x4.splat(t);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const x = v128.load(pa + o);
    v128.store(po + o, termv(op, x, takesB(op) ? v128.load(pb + o) : x, sv, tv));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(pa + o);
    store<f32>(po + o, terms(op, x, takesB(op) ? load<f32>(pb + o) : x, s, t));
  }
}

/** dst[0 .. n) += src[0 .. n) on byte addresses, inlined where a kernel adds short runs (col2im). */
@inline export function addAt(dst: usize, src: usize, n: i32): void {
  elementwiseAt(OP_ADD, dst, src, dst, n, 0, 0);
}

export function add(a: i32, b: i32, out: i32, n: i32): void {
  elementwise(OP_ADD, a, b, out, n, 0, 0);
}

export function mul(a: i32, b: i32, out: i32, n: i32): void {
  elementwise(OP_MUL, a, b, out, n, 0, 0);
}

export function scale(a: i32, s: f32, out: i32, n: i32): void {
  elementwise(OP_SCALE, a, a, out, n, s, 0);
}

/** y += alpha * x */
export function axpy(alpha: f32, x: i32, y: i32, n: i32): void {
  elementwise(OP_AXPY, y, x, y, n, alpha, 0);
}

export function exp(a: i32, out: i32, n: i32): void {
  actRange(<usize>a << 2, <usize>out << 2, n, ACT_EXP, 0);
}

export function square(a: i32, out: i32, n: i32): void {
  mul(a, a, out, n);
}

/** Overwrites dx = 2 a dy. */
export function squareBackward(a: i32, dy: i32, dx: i32, n: i32): void {
  elementwise(OP_SQUARE_BACKWARD, a, dy, dx, n, 0, 0);
}

export function abs(a: i32, out: i32, n: i32): void {
  elementwise(OP_ABS, a, a, out, n, 0, 0);
}

export function sign(a: i32, out: i32, n: i32): void {
  elementwise(OP_SIGN, a, a, out, n, 0, 0);
}

/** Overwrites dx = sign(a) dy. */
export function absBackward(a: i32, dy: i32, dx: i32, n: i32): void {
  elementwise(OP_ABS_BACKWARD, a, dy, dx, n, 0, 0);
}

export function clip(a: i32, lo: f32, hi: f32, out: i32, n: i32): void {
  elementwise(OP_CLIP, a, a, out, n, lo, hi);
}

/** Overwrites dx = dy where lo <= a <= hi, else 0. */
export function clipBackward(a: i32, dy: i32, dx: i32, lo: f32, hi: f32, n: i32): void {
  elementwise(OP_CLIP_BACKWARD, a, dy, dx, n, lo, hi);
}

/** Sum of a row: four lane sums over the body, then lanes in order, then the tail. */
@inline export function rowSumAt(p: usize, cols: i32): f32 {
  let acc = f32x4.splat(0);
  const c4 = cols & ~3;
  for (let c = 0; c < c4; c += 4) acc = f32x4.add(acc, v128.load(p + (<usize>c << 2)));
  let s = hsum(acc);
  for (let c = c4; c < cols; c++) s += load<f32>(p + (<usize>c << 2));
  return s;
}

/** Overwrites out[r] = sum over c of x[r, c]. */
export function rowSum(x: i32, out: i32, rows: i32, cols: i32): void {
  const px = <usize>x << 2, po = <usize>out << 2;
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) store<f32>(po + (<usize>r << 2), rowSumAt(px + <usize>r * rowBytes, cols));
}

/** Overwrites dx[r, c] = dy[r]. */
export function rowSumBackward(dy: i32, dx: i32, rows: i32, cols: i32): void {
  const pd = <usize>dy << 2;
  for (let r = 0; r < rows; r++) fill(dx + r * cols, cols, load<f32>(pd + (<usize>r << 2)));
}

/** Sum of n elements, accumulated left to right in float64. */
export function sum(x: i32, n: i32): f64 {
  const p = <usize>x << 2;
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += <f64>load<f32>(p + (<usize>i << 2));
  return s;
}

/**
 * Sum of squares of n elements in float64 (the global gradient norm's reduction). Lane j
 * of four float64 accumulators takes the body's elements i = j mod 4; the lanes are added
 * in order ((l0 + l1) + l2) + l3, then the tail left to right — the JS spec's order, so
 * both backends and every build return the same bits (plain mul and add, never a fused
 * madd). A float32's square is exact in float64 and 2^31 of them stay below 2^288, so the
 * sum is finite exactly when every element is.
 */
export function sumSquares(x: i32, n: i32): f64 {
  const p = <usize>x << 2;
  let acc01 = f64x2.splat(0);
  let acc23 = f64x2.splat(0);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const v = v128.load(p + (<usize>i << 2));
    const v01 = f64x2.promote_low_f32x4(v);
    const v23 = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
    acc01 = f64x2.add(acc01, f64x2.mul(v01, v01));
    acc23 = f64x2.add(acc23, f64x2.mul(v23, v23));
  }
  let s = f64x2.extract_lane(acc01, 0) + f64x2.extract_lane(acc01, 1) + f64x2.extract_lane(acc23, 0) + f64x2.extract_lane(acc23, 1);
  for (let i = n4; i < n; i++) {
    const v = <f64>load<f32>(p + (<usize>i << 2));
    s += v * v;
  }
  return s;
}
