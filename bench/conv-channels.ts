// Training speed of the conv preset on 32x32x3 against 28x28x1 (batch 256, one thread):
// do the conv kernels keep their speed with a 3-channel input? Median samples/s of a few
// epochs on random data in [0, 1] (speed does not depend on the values).
//   npx tsx bench/conv-channels.ts [epochs=5] [samples=2048]
import { createKernels } from '../src/kernels/node.js';
import { Autoencoder } from '../src/models/autoencoder.js';
import { presetArchitecture, presetDefaults } from '../src/models/presets.js';
import { train } from '../src/train/trainer.js';

const epochs = Number(process.argv[2] ?? 5);
const n = Number(process.argv[3] ?? 2048);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

for (const shape of [[28, 28, 1], [32, 32, 3]] as const) {
  const size = shape[0] * shape[1] * shape[2];
  const images = new Float32Array(n * size);
  for (let i = 0; i < images.length; i++) images[i] = ((i * 2654435761) >>> 0) / 2 ** 32;
  const ds = { images, labels: new Uint8Array(n), n, shape };
  const kernels = await createKernels({ backend: 'wasm', threads: 1 });
  const model = new Autoencoder(kernels, presetArchitecture('conv', { inputShape: shape })).initialize(0);
  const d = presetDefaults('conv');
  const h = await train(model, { train: ds, test: { ...ds, n: 0, images: images.subarray(0, 0), labels: new Uint8Array(0) }, source: 'random' }, { epochs, batchSize: 256, seed: 0, loss: d.loss, noise: d.noise, evaluateTest: false });
  const rates = h.epochs.map((e) => e.samples_per_sec);
  const pixels = median(rates) * size;
  console.log(`conv ${shape.join('x')}: median ${median(rates).toFixed(0)} samples/s (${(pixels / 1e6).toFixed(2)} M input values/s) over ${epochs} epochs of ${n}`);
  model.dispose();
}
