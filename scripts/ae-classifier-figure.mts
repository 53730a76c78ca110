// The ae-classifier figure (README "Autoencoder + classifier"): the preset after the
// reference's recipe (Adam 0.001, batch 32, 10 epochs) on the bundled digits, against the
// same model with weight 0 on the reconstruction MSE (trained by the classification loss
// only), over seeds; test accuracy and test reconstruction MSE, mean and range.
//
//   npx tsx scripts/ae-classifier-figure.mts [--epochs 10] [--seeds 0,1,2]
//
// Seed 0 of the first row is what `ae-wasm train --preset ae-classifier` then `ae-wasm eval`
// print (same data, split, initialisation and order).
import { parseArgs } from 'node:util';
import { createKernels } from '../src/kernels/node.js';
import { loadSplits } from '../src/data/load.js';
import { Autoencoder } from '../src/models/autoencoder.js';
import { presetArchitecture } from '../src/models/presets.js';
import type { Architecture } from '../src/models/architecture.js';
import { evaluate } from '../src/train/evaluate.js';
import { train } from '../src/train/trainer.js';

const { values } = parseArgs({ options: { epochs: { type: 'string', default: '10' }, seeds: { type: 'string', default: '0,1,2' } } });
const epochs = Number(values.epochs);
const seeds = values.seeds!.split(',').map(Number);

const kernels = await createKernels({ threads: 1 });
const splits = await loadSplits();
const preset = presetArchitecture('ae-classifier', { inputShape: splits.train.shape, labels: 10 });
/** The preset with the reconstruction term's weight set to `w` (the classification term keeps weight 1). */
const withMseWeight = (w: number): Architecture => ({
  ...preset,
  graph: { ...preset.graph!, losses: preset.graph!.losses.map((t) => (t.kind === 'mse' ? { ...t, weight: w } : t)) },
});

const variants: [string, Architecture][] = [
  ['ae-classifier: MSE + sparse CE, weights 1 and 1', preset],
  ['the same model, sparse CE only (weight 0 on the MSE)', withMseWeight(0)],
];
const stat = (v: number[], digits: number) => {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return `${mean.toFixed(digits)} (${Math.min(...v).toFixed(digits)}..${Math.max(...v).toFixed(digits)})`;
};
const rows: string[] = [];
const raw: Record<string, { seed: number; accuracy: number; mse: number }[]> = {};
for (const [name, arch] of variants) {
  const runs: { seed: number; accuracy: number; mse: number }[] = [];
  for (const seed of seeds) {
    const model = new Autoencoder(kernels, arch).initialize(seed);
    model.preprocessing = splits.normalization;
    await train(model, splits, { epochs, batchSize: 32, seed, evaluateTest: false });
    const m = evaluate(model, splits.test);
    runs.push({ seed, accuracy: m.accuracy!, mse: m.mse });
    console.error(`${name}, seed ${seed}: test accuracy ${m.accuracy!.toFixed(4)}, test MSE ${m.mse.toFixed(5)}`);
    model.dispose();
  }
  raw[name] = runs;
  rows.push(`| ${name} | ${stat(runs.map((r) => r.accuracy), 4)} | ${stat(runs.map((r) => r.mse), 5)} |`);
}
console.log(`${epochs} epochs, Adam 0.001, batch 32, seeds ${seeds.join(', ')}; ${splits.train.n} training and ${splits.test.n} test digits\n`);
console.log('| model | test accuracy, mean (range) | test MSE, mean (range) |\n|---|---:|---:|');
console.log(rows.join('\n'));
console.log(`\n${JSON.stringify(raw)}`);
