// Optimizer updates in place, exactly as tf.keras computes them.

/**
 * Adam: m += (g - m)(1 - b1); v += (g² - v)(1 - b2); w -= lrT m / (sqrt(v) + eps), where
 * the caller folds bias correction into lrT = lr sqrt(1 - b2^t) / (1 - b1^t).
 */
export function adamStep(w: i32, g: i32, m: i32, v: i32, n: i32, lrT: f32, beta1: f32, beta2: f32, eps: f32): void {
  const wp = <usize>w << 2, gp = <usize>g << 2, mp = <usize>m << 2, vp = <usize>v << 2;
  const c1: f32 = <f32>1.0 - beta1;
  const c2: f32 = <f32>1.0 - beta2;
  const c1v = f32x4.splat(c1), c2v = f32x4.splat(c2), lv = f32x4.splat(lrT), ev = f32x4.splat(eps);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const gv = v128.load(gp + o);
    let mv = v128.load(mp + o);
    let vv = v128.load(vp + o);
    mv = f32x4.add(mv, f32x4.mul(f32x4.sub(gv, mv), c1v));
    vv = f32x4.add(vv, f32x4.mul(f32x4.sub(f32x4.mul(gv, gv), vv), c2v));
    v128.store(mp + o, mv);
    v128.store(vp + o, vv);
    const step = f32x4.div(f32x4.mul(mv, lv), f32x4.add(f32x4.sqrt(vv), ev));
    v128.store(wp + o, f32x4.sub(v128.load(wp + o), step));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    const gv = load<f32>(gp + o);
    let mv = load<f32>(mp + o);
    let vv = load<f32>(vp + o);
    mv = mv + (gv - mv) * c1;
    vv = vv + (gv * gv - vv) * c2;
    store<f32>(mp + o, mv);
    store<f32>(vp + o, vv);
    store<f32>(wp + o, load<f32>(wp + o) - (mv * lrT) / (Mathf.sqrt(vv) + eps));
  }
}

/** SGD: with momentum, vel = momentum vel - lr g; w += vel. Without, w -= lr g. */
export function sgdStep(w: i32, g: i32, vel: i32, n: i32, lr: f32, momentum: f32): void {
  const wp = <usize>w << 2, gp = <usize>g << 2, vp = <usize>vel << 2;
  const lv = f32x4.splat(lr), mv = f32x4.splat(momentum);
  const n4 = n & ~3;
  if (momentum == 0) {
    for (let i = 0; i < n4; i += 4) {
      const o = <usize>i << 2;
      v128.store(wp + o, f32x4.sub(v128.load(wp + o), f32x4.mul(lv, v128.load(gp + o))));
    }
    for (let i = n4; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(wp + o, load<f32>(wp + o) - lr * load<f32>(gp + o));
    }
    return;
  }
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const v = f32x4.sub(f32x4.mul(mv, v128.load(vp + o)), f32x4.mul(lv, v128.load(gp + o)));
    v128.store(vp + o, v);
    v128.store(wp + o, f32x4.add(v128.load(wp + o), v));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    const v = momentum * load<f32>(vp + o) - lr * load<f32>(gp + o);
    store<f32>(vp + o, v);
    store<f32>(wp + o, load<f32>(wp + o) + v);
  }
}
