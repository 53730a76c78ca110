// Whole training steps of a preset through train(), samples/s (wall and CPU):
//   npx tsx scripts/step-timing.mts [preset] [batch] [build] [train digits]
import { RELAXED_BUILD } from '../src/kernels/builds.js';
import { createKernels } from '../src/kernels/node.js';
import { loadSplits } from '../src/data/load.js';
import { Autoencoder } from '../src/models/autoencoder.js';
import { presetArchitecture, PRESETS } from '../src/models/presets.js';
import { train } from '../src/train/trainer.js';
import { subset } from '../src/data/dataset.js';
const preset = process.argv[2] ?? 'conv';
const batch = Number(process.argv[3] ?? 256);
const build = process.argv[4] ?? RELAXED_BUILD;
const n = Number(process.argv[5] ?? 4096);
const kernels = await createKernels({ build });
const s = await loadSplits();
const splits = { ...s, train: subset(s.train, 0, n), test: subset(s.test, 0, 100) };
const model = new Autoencoder(kernels, presetArchitecture(preset)).initialize(0);
const info = PRESETS[preset]!;
for (let e = 0; e < 3; e++) {
  const t0 = process.cpuUsage();
  const h = await train(model, splits, { epochs: 1, batchSize: batch, noise: info.defaults.noise, loss: info.defaults.loss, evaluateTest: false });
  const u = process.cpuUsage(t0);
  console.log(preset, build, 'batch', batch, 'wall samples/s', Math.round(h.epochs[0]!.samples_per_sec), 'cpu samples/s', Math.round(n / ((u.user + u.system) / 1e6)));
}
