// Dropout's cost: the kernel (mask recomputed from the counter, one pass) against `mul`
// (what a stored mask's backward would be: dx = dy * mask) and `copy`, medians of 200
// calls; then whole training epochs of a model with Dropout(rate) against rate 0.
//   npx tsx scripts/dropout-timing.mts [build]
import { RELAXED_BUILD } from '../src/kernels/builds.js';
import { createKernels } from '../src/kernels/node.js';
import { loadSplits } from '../src/data/load.js';
import { subset } from '../src/data/dataset.js';
import type { Architecture } from '../src/models/architecture.js';
import { Autoencoder } from '../src/models/autoencoder.js';
import { train } from '../src/train/trainer.js';

const build = process.argv[2] ?? RELAXED_BUILD;
const kernels = await createKernels({ build });

function median(f: () => void, reps = 200): number {
  for (let i = 0; i < 20; i++) f();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[reps >> 1]! * 1000;
}

for (const [what, n, hw, ch] of [['Dropout 256x784', 256, 1, 784], ['SpatialDropout2D 256x14x14x16', 256, 196, 16]] as const) {
  const size = n * hw * ch;
  const x = kernels.heap.alloc(size);
  const y = kernels.heap.alloc(size);
  const m = kernels.heap.alloc(size);
  kernels.randUniform(x, size, 1, 0, -1, 1);
  kernels.randUniform(m, size, 2, 0, 0, 1);
  let c = 0;
  const drop = median(() => kernels.dropout(x, y, n, hw, ch, 7, (c += n * ch), 0.2));
  const mul = median(() => kernels.mul(x, m, y, size));
  const copy = median(() => kernels.copy(x, y, size));
  console.log(`${build} ${what}: dropout ${drop.toFixed(1)} us, mul ${mul.toFixed(1)} us, copy ${copy.toFixed(1)} us (median of 200)`);
  for (const o of [x, y, m]) kernels.heap.free(o);
}

const s = await loadSplits();
const splits = { ...s, train: subset(s.train, 0, 4096), test: subset(s.test, 0, 100) };
const arch = (rate: number): Architecture => ({
  kind: 'autoencoder',
  input_shape: [28, 28, 1],
  parts: {
    encoder: [{ class_name: 'Flatten', config: {} }, { class_name: 'Dropout', config: { rate } }, { class_name: 'Dense', config: { units: 64, activation: 'relu' } }],
    decoder: [{ class_name: 'Dense', config: { units: 784, activation: 'sigmoid' } }, { class_name: 'Reshape', config: { target_shape: [28, 28, 1] } }],
  },
});
for (const rate of [0, 0.2, 0, 0.2]) {
  const model = new Autoencoder(kernels, arch(rate)).initialize(0);
  const rates: number[] = [];
  for (let e = 0; e < 5; e++) {
    const h = await train(model, splits, { epochs: 1, batchSize: 256, evaluateTest: false });
    rates.push(h.epochs[0]!.samples_per_sec);
  }
  rates.sort((a, b) => a - b);
  console.log(`${build} dense + Dropout(${rate}) on the input, batch 256: median ${Math.round(rates[2]!)} samples/s over 5 epochs`);
  model.dispose();
}
