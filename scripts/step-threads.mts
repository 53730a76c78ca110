// Training samples/s on 1 and 2 kernel threads, interleaved:
//   npx tsx scripts/step-threads.mts [preset] [batch] [train digits]
import { RELAXED_BUILD, RELAXED_THREADS_BUILD } from '../src/kernels/builds.js';
import { createKernels } from '../src/kernels/node.js';
import { loadSplits } from '../src/data/load.js';
import { Autoencoder } from '../src/models/autoencoder.js';
import { presetArchitecture, PRESETS } from '../src/models/presets.js';
import { train } from '../src/train/trainer.js';
import { subset } from '../src/data/dataset.js';
const preset = process.argv[2] ?? 'conv';
const batch = Number(process.argv[3] ?? 256);
const n = Number(process.argv[4] ?? 4096);
const s = await loadSplits();
const splits = { ...s, train: subset(s.train, 0, n), test: subset(s.test, 0, 100) };
for (const threads of [1, 2, 1, 2]) {
  const kernels = await createKernels({ threads, build: threads > 1 ? RELAXED_THREADS_BUILD : RELAXED_BUILD });
  const model = new Autoencoder(kernels, presetArchitecture(preset)).initialize(0);
  const info = PRESETS[preset]!;
  let best = 0;
  for (let e = 0; e < 3; e++) {
    const h = await train(model, splits, { epochs: 1, batchSize: batch, noise: info.defaults.noise, loss: info.defaults.loss, evaluateTest: false });
    best = Math.max(best, h.epochs[0]!.samples_per_sec);
  }
  console.log(preset, 'batch', batch, 'threads', threads, 'best samples/s', Math.round(best));
  (kernels as any).dispose?.();
}
