// The README's "Classification with few labels" table: test accuracy (2,000 bundled test
// digits) of a classifier on the `deep` preset's encoder trained with 10, 100 and all
// labelled training digits per class, the encoder pre-trained greedily (`train --preset deep
// --pretrain greedy`), pre-trained as a plain autoencoder (`train --preset deep`) or trained
// from scratch (`classify --encoder none`), frozen or fine-tuned; mean and standard
// deviation over seeds. Seed s trains the autoencoder with --seed s and the classifier with
// --seed s (its labelled subset, head initialisation and shuffling), so every run is what
//
//   ae-wasm train --preset deep [--pretrain greedy] --seed S --out AE
//   ae-wasm classify --encoder AE/model.safetensors|none --labels-per-class N|all [--freeze] --seed S --out DIR
//
// reports (the commands' defaults: 10 autoencoder epochs, 5 pre-training epochs per layer,
// about 1,000 classifier steps). The bundled training split has 681 to 916 digits per class
// (8,000 in all), so the "1,000" column uses every one of them (--labels-per-class all).
//
//   npm run classify-figures [-- --seeds 5 --out docs/classify-figures]
//
// writes OUT.md (the table) and OUT.json (every run), and prints the table.
import { parseArgs } from 'node:util';
import { loadSplits } from '../src/data/load.js';
import { writeFileAtomic } from '../src/io/file-node.js';
import { createKernels } from '../src/kernels/node.js';
import { Autoencoder } from '../src/models/autoencoder.js';
import { presetArchitecture, presetDefaults } from '../src/models/presets.js';
import { trainClassifier, type LabelsPerClass } from '../src/train/classify.js';
import { Adam } from '../src/train/optimizers.js';
import { pretrainGreedy, PRETRAIN_EPOCHS } from '../src/train/pretrain.js';
import { TRAIN_DEFAULTS } from '../src/train/train-options.js';
import { train } from '../src/train/trainer.js';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '5' }, out: { type: 'string', default: 'docs/classify-figures' } } });
const seeds = Array.from({ length: Number(values.seeds) }, (_, i) => i);
const BUDGETS: LabelsPerClass[] = [10, 100, 'all'];
const ENCODERS = ['greedy', 'plain', 'none'] as const;
type EncoderKind = (typeof ENCODERS)[number];
const PRESET = 'deep';

const kernels = await createKernels();
const splits = await loadSplits();
const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;

/** `train --preset deep [--pretrain greedy] --seed S` on the bundled digits. */
async function autoencoder(kind: 'greedy' | 'plain', seed: number): Promise<Autoencoder> {
  const model = new Autoencoder(kernels, presetArchitecture(PRESET)).initialize(seed);
  model.preprocessing = splits.normalization;
  const loss = presetDefaults(PRESET, 'sigmoid').loss;
  if (kind === 'greedy') {
    await pretrainGreedy(model, splits, { epochs: PRETRAIN_EPOCHS, batchSize: TRAIN_DEFAULTS.batchSize, seed, loss, noise: 0, optimizer: () => new Adam() });
  }
  await train(model, splits, { epochs: TRAIN_DEFAULTS.epochs, batchSize: TRAIN_DEFAULTS.batchSize, seed, loss, optimizer: new Adam(), evaluateTest: false });
  return model;
}

interface Run {
  encoder: EncoderKind;
  freeze: boolean;
  labels_per_class: LabelsPerClass;
  seed: number;
  labelled: number;
  epochs: number;
  accuracy: number;
  /** The median epoch's wall-clock seconds (a frozen encoder runs no backward). */
  epoch_seconds: number;
}
const runs: Run[] = [];

for (const seed of seeds) {
  for (const kind of ENCODERS) {
    const encoder = kind === 'none' ? null : await autoencoder(kind, seed);
    process.stderr.write(`seed ${seed}: ${kind} encoder ready (${elapsed()})\n`);
    for (const freeze of [true, false]) {
      for (const labelsPerClass of BUDGETS) {
        const r = await trainClassifier(kernels, splits, {
          encoder, architecture: presetArchitecture(PRESET), labelsPerClass, freeze, seed,
          preprocessing: splits.normalization, labelNames: splits.labelNames,
        });
        const seconds = r.history.epochs.map((e) => e.seconds).sort((a, b) => a - b);
        runs.push({
          encoder: kind, freeze, labels_per_class: labelsPerClass, seed, labelled: r.labelled.length, epochs: r.history.epochs.length, accuracy: r.test.accuracy!,
          epoch_seconds: seconds[Math.floor(seconds.length / 2)]!,
        });
        r.model.dispose();
      }
    }
    encoder?.dispose();
  }
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
/** Sample standard deviation (n - 1); 0 for one seed. */
const sd = (v: number[]) => (v.length < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1)));
const pct = (x: number) => (100 * x).toFixed(1);
const NAMES: Record<EncoderKind, string> = {
  greedy: '`deep`, greedy pre-training + autoencoder (`--pretrain greedy`)',
  plain: '`deep`, autoencoder pre-training',
  none: '`deep` from scratch (`--encoder none`)',
};
const cells: Record<string, { mean: number; sd: number; min: number; max: number; n: number }> = {};
const lines = [
  `| encoder | weights | 10 labels per class | 100 labels per class | all (681–916 per class, 8,000) |`,
  `|---|---|---:|---:|---:|`,
];
for (const kind of ENCODERS) {
  for (const freeze of [true, false]) {
    const row = BUDGETS.map((b) => {
      const acc = runs.filter((r) => r.encoder === kind && r.freeze === freeze && r.labels_per_class === b).map((r) => r.accuracy);
      const cell = { mean: mean(acc), sd: sd(acc), min: Math.min(...acc), max: Math.max(...acc), n: acc.length };
      cells[`${kind}/${freeze ? 'frozen' : 'fine-tuned'}/${b}`] = cell;
      return `${pct(cell.mean)} ± ${pct(cell.sd)}`;
    });
    lines.push(`| ${NAMES[kind]} | ${freeze ? 'frozen' : 'fine-tuned'} | ${row.join(' | ')} |`);
  }
}
const seconds = (performance.now() - t0) / 1000;
/** Median over the runs on every labelled digit of their median epoch: what freezing saves. */
const epochTime = (freeze: boolean) => {
  const v = runs.filter((r) => r.freeze === freeze && r.labels_per_class === 'all').map((r) => r.epoch_seconds).sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)]!;
};
const note =
  `Test accuracy in %, mean ± standard deviation over ${seeds.length} seeds (${seeds.join(', ')}); ${splits.test.n} test digits; ${seconds.toFixed(0)} s on ${kernels.build}. ` +
  `An epoch on all 8,000 labelled digits (median): ${epochTime(true).toFixed(2)} s frozen, ${epochTime(false).toFixed(2)} s fine-tuned.`;
const table = `${lines.join('\n')}\n\n${note}\n`;
await writeFileAtomic(`${values.out}.md`, table);
await writeFileAtomic(`${values.out}.json`, JSON.stringify({ preset: PRESET, seeds, data: splits.source, test_samples: splits.test.n, seconds, cells, runs }, null, 2) + '\n');
console.log(table);
