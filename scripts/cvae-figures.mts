// The README's cvae figure: the conditional VAE trained on the bundled digits (seed 0, Adam,
// batch 32, its defaults: latent 2, BCE summed per image + KL), its prior samples one row
// per digit (docs/cvae-samples.png; each column one z), and the share of samples that a
// separately trained classifier assigns to the requested digit, per digit and overall.
// The classifier is a graph with one sparse categorical cross-entropy term — Flatten,
// Dense(128, relu), Dense(10) — trained on the same training split; its own test accuracy
// is printed beside the shares.
//
//   npm run cvae-figures [-- --epochs 30 --classifier-epochs 10 --samples 100]
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { comparisonGrid, imageSizeOf } from '../src/cli/pictures.js';
import { loadSplits } from '../src/data/load.js';
import { createKernels } from '../src/kernels/node.js';
import type { Architecture } from '../src/models/architecture.js';
import { Autoencoder } from '../src/models/autoencoder.js';
import { presetArchitecture } from '../src/models/presets.js';
import { Adam } from '../src/train/optimizers.js';
import { train } from '../src/train/trainer.js';
import { toPng } from '../src/viz/index.js';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '30' },
    'classifier-epochs': { type: 'string', default: '10' },
    samples: { type: 'string', default: '100' },
    out: { type: 'string', default: 'docs/cvae-samples.png' },
  },
});
const epochs = Number(values.epochs);
const classifierEpochs = Number(values['classifier-epochs']);
const perDigit = Number(values.samples);
const COLUMNS = 12;

const kernels = await createKernels();
const splits = await loadSplits();
const seconds = (t0: number) => ((performance.now() - t0) / 1000).toFixed(0);

const classifierArch = {
  kind: 'autoencoder',
  input_shape: [28, 28, 1],
  parts: {
    classifier: [
      { class_name: 'Flatten', config: {} },
      { class_name: 'Dense', config: { units: 128, activation: 'relu' } },
      { class_name: 'Dense', config: { units: 10, activation: 'linear' } },
    ],
  },
  graph: {
    inputs: { classifier: 'input' },
    labels: 10,
    code: 'classifier',
    output: 'classifier',
    losses: [{ kind: 'sparse_categorical_crossentropy', output: 'classifier', target: 'label', weight: 1 }],
  },
} as unknown as Architecture;

const argmax = (p: Float32Array, row: number, k: number): number => {
  let best = 0;
  for (let c = 1; c < k; c++) if (p[row * k + c]! > p[row * k + best]!) best = c;
  return best;
};

let t0 = performance.now();
const classifier = new Autoencoder(kernels, classifierArch).initialize(0);
await train(classifier, splits, { epochs: classifierEpochs, batchSize: 32, seed: 0, loss: 'mse', optimizer: new Adam(), evaluateTest: false });
const testProbs = classifier.predict(splits.test.images);
let right = 0;
for (let i = 0; i < splits.test.n; i++) if (argmax(testProbs, i, 10) === splits.test.labels[i]) right++;
const accuracy = right / splits.test.n;
process.stderr.write(`classifier: ${classifierEpochs} epochs, ${seconds(t0)} s, test accuracy ${(100 * accuracy).toFixed(1)}%\n`);

t0 = performance.now();
const cvae = new Autoencoder(kernels, presetArchitecture('cvae')).initialize(0);
await train(cvae, splits, { epochs, batchSize: 32, seed: 0, loss: 'bce', optimizer: new Adam(), evaluateTest: false });
process.stderr.write(`cvae: ${epochs} epochs, ${seconds(t0)} s\n`);

// The same perDigit prior codes for every digit (seed 0): a column is one z.
const z = cvae.priorCodes(perDigit, 0);
const shares: number[] = [];
const rows: { label: string; images: Float32Array }[] = [];
for (let digit = 0; digit < 10; digit++) {
  const images = cvae.decode(z, new Int32Array(perDigit).fill(digit));
  const probs = classifier.predict(images);
  let hits = 0;
  for (let i = 0; i < perDigit; i++) if (argmax(probs, i, 10) === digit) hits++;
  shares.push(hits / perDigit);
  rows.push({ label: String(digit), images: images.subarray(0, COLUMNS * 784) });
}
const title = `cvae, ${epochs} epochs: prior samples per digit (a column is one z)`;
await writeFile(values.out, toPng(comparisonGrid(rows, COLUMNS, imageSizeOf([28, 28, 1])!, title)));

const pct = (v: number) => `${(100 * v).toFixed(0)}%`;
const overall = shares.reduce((a, b) => a + b, 0) / shares.length;
console.log(`| requested digit | ${shares.map((_, d) => d).join(' | ')} | all |`);
console.log(`|---|${shares.map(() => '---:').join('|')}|---:|`);
console.log(`| classified as it | ${shares.map(pct).join(' | ')} | **${pct(overall)}** |`);
console.log(`\n${perDigit} samples per digit; the classifier (Flatten, Dense(128, relu), Dense(10); ${classifierEpochs} epochs) scores ${(100 * accuracy).toFixed(1)}% on the ${splits.test.n} test digits; wrote ${values.out}`);
