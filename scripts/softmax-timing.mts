// The fused softmax + sparse categorical cross-entropy at [256, 10] (the classifier head
// of ae-classifier at batch 256) on each WASM build against the JS spec, medians of 2,000
// calls after warm-up; softmaxForward and a [256, 784] + [256, 10] concatenation beside
// it. Then the kernels' error against float64 on 20,000 rows of logits at several spreads
// (the largest relative loss error and the largest gradient error in units of scale).
//   npx tsx scripts/softmax-timing.mts
import { BASELINE_BUILD, RELAXED_BUILD } from '../src/kernels/builds.js';
import { JsKernels } from '../src/kernels/js.js';
import type { Kernels } from '../src/kernels/kernels.js';
import { labelElements, writeLabels } from '../src/kernels/labels.js';
import { createKernels } from '../src/kernels/node.js';
import { uniformAt } from '../src/random/generator.js';

const ROWS = 256;
const CLASSES = 10;

function median(f: () => void, reps: number): number {
  for (let i = 0; i < Math.min(200, reps); i++) f();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[reps >> 1]! * 1000;
}

function setup(k: Kernels, rows: number, cols: number, spread: number, seed: number) {
  const x = k.heap.alloc(rows * cols);
  const values = Float32Array.from({ length: rows * cols }, (_, i) => spread * (2 * uniformAt(seed, i) - 1));
  k.heap.write(x, values);
  const labels = k.heap.alloc(labelElements(k.heap, rows));
  const lab = Array.from({ length: rows }, (_, r) => Math.floor(uniformAt(seed + 1, r) * cols));
  writeLabels(k.heap, labels, lab, cols);
  const loss = k.heap.alloc(rows);
  const dx = k.heap.alloc(rows * cols);
  return { x, labels, loss, dx, values, lab };
}

const backends: Kernels[] = [await createKernels({ build: RELAXED_BUILD }), await createKernels({ build: BASELINE_BUILD }), new JsKernels('f32')];
const times: Record<string, number> = {};
for (const k of backends) {
  const t = setup(k, ROWS, CLASSES, 5, 1);
  const reps = k.backend === 'js' ? 500 : 2000;
  const fused = median(() => k.softmaxCrossEntropy(t.x, t.labels, t.loss, t.dx, ROWS, CLASSES, 1 / ROWS), reps);
  const sm = median(() => k.softmaxForward(t.x, t.dx, ROWS, CLASSES), reps);
  const a = k.heap.alloc(ROWS * 784);
  const y = k.heap.alloc(ROWS * 794);
  const cat = median(() => {
    k.concatForward(a, y, ROWS, 784, 794, 0);
    k.concatForward(t.x, y, ROWS, 10, 794, 784);
  }, reps);
  times[k.build] = fused;
  console.log(`${k.build}: softmaxCrossEntropy [${ROWS}, ${CLASSES}] ${fused.toFixed(2)} us, softmaxForward ${sm.toFixed(2)} us, concat [${ROWS}, 784 + 10] ${cat.toFixed(1)} us (medians of ${reps})`);
}
const js = times['js']!;
for (const b of [RELAXED_BUILD, BASELINE_BUILD]) console.log(`fused kernel, JS spec / ${b}: ${(js / times[b]!).toFixed(1)}x`);

// Error against float64 from the same float32 logits.
for (const spread of [1, 10, 100, 1e4]) {
  const rows = 20000;
  let lossErr = 0, gradErr = 0;
  for (const k of backends.slice(0, 2)) {
    const t = setup(k, rows, CLASSES, spread, 7);
    const scale = 1;
    k.softmaxCrossEntropy(t.x, t.labels, t.loss, t.dx, rows, CLASSES, scale);
    const d = k.heap.data;
    for (let r = 0; r < rows; r++) {
      const row = t.values.subarray(r * CLASSES, (r + 1) * CLASSES);
      let m = -Infinity;
      for (const v of row) m = Math.max(m, v);
      let s = 0;
      for (const v of row) s += Math.exp(v - m);
      const xl = row[t.lab[r]!]!;
      // log1p of the other classes' sum when the label holds the maximum (float64's log(s) loses a tiny loss).
      const want = xl === m ? Math.log1p(s - 1) : m - xl + Math.log(s);
      lossErr = Math.max(lossErr, Math.abs(d[t.loss + r]! - want) / Math.max(want, 2 ** -24));
      for (let c = 0; c < CLASSES; c++) {
        const g = Math.exp(row[c]! - m) / s - (c === t.lab[r] ? 1 : 0);
        gradErr = Math.max(gradErr, Math.abs(d[t.dx + r * CLASSES + c]! - g));
      }
    }
  }
  console.log(`logits uniform in ±${spread}: largest loss error ${(lossErr / 2 ** -24).toFixed(1)} u relative (u = 2^-24), largest gradient error ${(gradErr / 2 ** -24).toFixed(1)} u x scale (both builds)`);
}
