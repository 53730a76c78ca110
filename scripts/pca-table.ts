// The README's "Linear autoencoder vs PCA" table: for each code size K the linear preset
// trained on the bundled digits (Adam 0.001, batch 32, seed 0) against PCA fitted exactly on
// the same training split — what `ae-wasm pca-compare --latent K --epochs E --json` reports,
// measured here at several epochs of one run per K (so the convergence shows):
//
//   npm run pca-table [-- --latents 2,8,16,32,64 --epochs 10,50,200]
//
// Prints a Markdown table; each training-split ratio below 1 - TRAIN_RATIO_SLACK (an
// autoencoder beating PCA where PCA is optimal) fails the script.
import { parseArgs } from 'node:util';
import { fitPca } from '../src/analysis/pca.js';
import { comparePca, TRAIN_RATIO_SLACK, type PcaComparison } from '../src/cli/pca-compare.js';
import { loadSplits } from '../src/data/load.js';
import { createKernels } from '../src/kernels/node.js';
import { Autoencoder } from '../src/models/autoencoder.js';
import { presetArchitecture } from '../src/models/presets.js';
import { Adam } from '../src/train/optimizers.js';
import { train } from '../src/train/trainer.js';

const { values } = parseArgs({ options: { latents: { type: 'string', default: '2,8,16,32,64' }, epochs: { type: 'string', default: '10,50,200' } } });
const list = (s: string): number[] => s.split(',').map((v) => Number(v));
const latents = list(values.latents);
const marks = list(values.epochs).sort((a, b) => a - b);

const kernels = await createKernels();
const splits = await loadSplits();
let t0 = performance.now();
const pca = fitPca(splits.train.images, splits.train.n, 784);
process.stderr.write(`PCA of ${splits.train.n} training digits: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

const rows: { k: number; f: PcaComparison; seconds: number }[] = [];
for (const k of latents) {
  const model = new Autoencoder(kernels, presetArchitecture('linear', { latent: k })).initialize(0);
  model.preprocessing = splits.normalization;
  t0 = performance.now();
  let trainSeconds = 0;
  await train(model, splits, {
    epochs: marks[marks.length - 1]!,
    batchSize: 32,
    seed: 0,
    loss: 'mse',
    optimizer: new Adam(),
    evaluateTest: false,
    callbacks: {
      onEpochEnd: (rec) => {
        trainSeconds += rec.seconds;
        if (!marks.includes(rec.epoch)) return;
        const f = comparePca(model, splits, pca, rec.epoch);
        rows.push({ k, f, seconds: trainSeconds });
        process.stderr.write(`K ${k}, epoch ${rec.epoch}: ratio ${f.ratio.toFixed(4)}, train ratio ${f.train_ratio.toFixed(4)}, angles max ${f.max_angle.toFixed(1)} mean ${f.mean_angle.toFixed(2)}\n`);
      },
    },
  });
  model.dispose();
  process.stderr.write(`K ${k}: ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}

const fmt = (v: number, d: number): string => v.toFixed(d);
console.log('| K | epochs | PCA test MSE | AE test MSE | ratio | train ratio | largest angle | mean angle | training s |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const { k, f, seconds } of rows) {
  console.log(
    `| ${k} | ${f.epochs} | ${fmt(f.pca_test_mse, 5)} | ${fmt(f.ae_test_mse, 5)} | ${fmt(f.ratio, 4)} | ${fmt(f.train_ratio, 4)} | ` +
      `${fmt(f.max_angle, 1)}° | ${fmt(f.mean_angle, 2)}° | ${fmt(seconds, 0)} |`,
  );
}
const bad = rows.filter((r) => r.f.train_ratio < 1 - TRAIN_RATIO_SLACK);
if (bad.length) {
  process.stderr.write(`an autoencoder beat PCA on its training split (K ${bad.map((r) => r.k).join(', ')}): a bug\n`);
  process.exitCode = 1;
}
