// ae-wasm pca-compare: the linear autoencoder against PCA, the optimum it should reach.
// PCA is fitted exactly on the training split (the symmetric eigen-decomposition of its
// covariance, src/analysis/pca.ts); the `linear` preset at the same code size is trained
// here (or loaded with --model). Reported: both reconstruction MSEs on the test split and on
// the training split, their ratios, and the principal angles between the decoder's column
// space and the top-K principal directions.
//
// PCA with its mean is the best rank-K affine reconstruction of the data it was fitted on,
// and a linear autoencoder's x -> W2 (W1 x + b1) + b2 is one, so on the training split the
// ratio AE / PCA is >= 1 up to rounding (float32 training, float64 PCA): a ratio below
// 1 - TRAIN_RATIO_SLACK is a bug somewhere, and the command says so. On the test split the
// ratio may dip below 1 by the generalisation gap alone.

import { Command } from 'commander';
import { fitPca, pcaReconstructionMse, principalAngles, type Pca } from '../analysis/pca.js';
import type { Dataset, Splits } from '../data/dataset.js';
import type { PreparedSplits } from '../data/load.js';
import { ArgumentError, NumericError } from '../errors.js';
import type { Kernels } from '../kernels/kernels.js';
import { Autoencoder } from '../models/autoencoder.js';
import { presetArchitecture } from '../models/presets.js';
import { evaluate } from '../train/evaluate.js';
import { createOptimizer } from '../train/optimizers.js';
import { train } from '../train/trainer.js';
import { addBackendOption, addDataOption, backendFrom, dataFrom, type BackendFlags, type DataFlags } from './context.js';
import { modelFrom } from './model-option.js';
import { flagName, floatArg, intArg } from './options.js';

interface PcaCompareFlags extends DataFlags, BackendFlags {
  latent?: number;
  model?: string;
  epochs: number;
  batch: number;
  lr?: number;
  seed: number;
  json?: boolean;
}

/** Relative slack of the training-split ratio below 1 that rounding can explain. */
export const TRAIN_RATIO_SLACK = 1e-4;

/** What pca-compare reports (--json prints it). MSEs are per value, in the model's values. */
export interface PcaComparison {
  latent: number;
  /** Epochs the autoencoder trained (its training record's, for --model). */
  epochs: number | null;
  source: string;
  n_train: number;
  n_test: number;
  pca_test_mse: number;
  ae_test_mse: number;
  /** ae_test_mse / pca_test_mse. */
  ratio: number;
  pca_train_mse: number;
  ae_train_mse: number;
  /** ae_train_mse / pca_train_mse: >= 1 - TRAIN_RATIO_SLACK for any linear autoencoder. */
  train_ratio: number;
  /** Share of the training variance the top-K principal directions hold. */
  explained_variance: number;
  /** Principal angles in degrees between the decoder's column space and the top-K principal directions, ascending. */
  angles: number[];
  max_angle: number;
  mean_angle: number;
}

/** Flags that train a model: meaningless with --model. */
const TRAINING_FLAGS = ['epochs', 'batch', 'lr', 'seed', 'normalize', 'imageSize', 'channels'] as const;

export function pcaCompareCommand(): Command {
  const cmd = new Command('pca-compare')
    .description(
      'fit PCA exactly on the training split and train (or load) the linear preset at code size K; report both test MSEs, ' +
        "their ratio and the principal angles between the decoder's column space and the top-K principal directions",
    )
    .option('--latent <k>', 'code size K (with --model: the model\'s, which it must match)', intArg(1, 4096))
    .option('--model <file>', 'compare this trained linear autoencoder instead of training one')
    .option('--epochs <n>', 'epochs to train the linear preset', intArg(1, 100000), 10)
    .option('--batch <n>', 'batch size', intArg(1, 65536), 32)
    .option('--lr <x>', 'Adam learning rate (default 0.001)', floatArg(0, 10, false, true))
    .option('--seed <n>', 'seed of the initialisation and shuffling (and of the split of a --data without a test part)', intArg(0, 2 ** 32 - 1), 0)
    .option('--json', 'print the figures as one JSON object');
  addDataOption(cmd, { training: true });
  addBackendOption(cmd);
  return cmd.action(async (flags: PcaCompareFlags, command: Command) => {
    if (flags.model === undefined && flags.latent === undefined) throw new ArgumentError('pca-compare needs --latent K (or --model of a trained linear autoencoder)');
    if (flags.model !== undefined) {
      const given = TRAINING_FLAGS.find((name) => command.getOptionValueSource(name) === 'cli');
      if (given) throw new ArgumentError(`${flagName(given)} trains a model: it goes without --model (${flags.model} is trained already)`);
    }
    const kernels = await backendFrom(flags);
    const { model, splits, epochs } = flags.model !== undefined ? await loaded(flags, kernels) : await trained(flags, kernels);
    try {
      const figures = comparePca(model, splits, fitPca(splits.train.images, splits.train.n, model.inputSize), epochs);
      process.stdout.write(flags.json ? `${JSON.stringify(figures)}\n` : report(figures));
    } finally {
      model.dispose();
    }
  });
}

async function loaded(flags: PcaCompareFlags, kernels: Kernels): Promise<{ model: Autoencoder; splits: PreparedSplits; epochs: number | null }> {
  const file = flags.model!;
  const model = await modelFrom({ model: file }, kernels);
  try {
    const k = linearCodeSize(model, file);
    if (flags.latent !== undefined && flags.latent !== k) throw new ArgumentError(`--latent ${flags.latent} does not match ${file}, whose code has ${k} values`);
    const splits = await dataFrom(flags, ['train', 'test'], model);
    const epochs = model.training?.epochs;
    return { model, splits, epochs: typeof epochs === 'number' ? epochs : null };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

async function trained(flags: PcaCompareFlags, kernels: Kernels): Promise<{ model: Autoencoder; splits: PreparedSplits; epochs: number }> {
  const splits = await dataFrom(flags);
  const model = new Autoencoder(kernels, presetArchitecture('linear', { latent: flags.latent, inputShape: [...splits.train.shape] })).initialize(flags.seed);
  model.preprocessing = splits.normalization;
  try {
    await train(model, splits, {
      epochs: flags.epochs, batchSize: flags.batch, seed: flags.seed, loss: 'mse',
      optimizer: createOptimizer('adam', { learningRate: flags.lr }), evaluateTest: false,
    });
  } catch (err) {
    model.dispose();
    throw err;
  }
  return { model, splits, epochs: flags.epochs };
}

/**
 * The code size of a linear autoencoder: Flatten / Reshape around exactly one Dense layer
 * in the encoder and one in the decoder, both with a linear activation (the linear
 * preset). Anything else is refused: its decoder has no column space to compare.
 */
export function linearCodeSize(model: Autoencoder, file: string): number {
  decoderKernel(model, file);
  return model.codeSize;
}

/** The decoder Dense layer's kernel, [K, D] (Keras' [in, out]): its K rows span the decoder's column space. */
function decoderKernel(model: Autoencoder, file: string): Float32Array {
  const refuse = (why: string): never => {
    throw new ArgumentError(`pca-compare needs a linear autoencoder (the linear preset: one Dense layer each way, no activation), but ${file} ${why}`);
  };
  if (model.kind !== 'autoencoder') refuse(`is a ${model.kind}`);
  let decoderDense = -1;
  for (const part of ['encoder', 'decoder'] as const) {
    const layers = model.architecture.parts[part];
    const dense = layers.flatMap((l, i) => (l.class_name === 'Dense' ? [i] : []));
    const other = layers.find((l) => l.class_name !== 'Dense' && l.class_name !== 'Flatten' && l.class_name !== 'Reshape');
    if (other) refuse(`has a ${other.class_name} layer in its ${part}`);
    if (dense.length !== 1) refuse(`has ${dense.length} Dense layers in its ${part}`);
    const activation = (layers[dense[0]!]!.config as Record<string, unknown>)['activation'] ?? 'linear';
    if (activation !== 'linear') refuse(`has activation ${JSON.stringify(activation)} in its ${part}'s Dense layer`);
    if (part === 'decoder') decoderDense = dense[0]!;
  }
  const p = model.params.get(`decoder.${decoderDense}.kernel`)!;
  return model.kernels.heap.read(p.value, p.size);
}

/** The comparison of a trained linear autoencoder with `pca` (fitted on splits.train). */
export function comparePca(model: Autoencoder, splits: Splits, pca: Pca, epochs: number | null): PcaComparison {
  const k = linearCodeSize(model, 'the model');
  const d = model.inputSize;
  if (pca.dim !== d) throw new ArgumentError(`comparePca: PCA of ${pca.dim} values, the model reads ${d}`);
  const kernel = decoderKernel(model, 'the model');
  const rows = Array.from({ length: k }, (_, r) => kernel.subarray(r * d, (r + 1) * d));
  const angles = principalAngles(rows, pca.components.slice(0, k), d);
  const mse = (ds: Dataset) => pcaReconstructionMse(pca, ds.images, ds.n, Math.min(k, d));
  const aeMse = (ds: Dataset, split: string) => {
    const m = evaluate(model, ds).mse;
    if (!Number.isFinite(m)) throw new NumericError(`the linear autoencoder's ${split} MSE is ${m}: its weights overflow; train with a lower --lr`);
    return m;
  };
  const total = pca.variances.reduce((s, v) => s + v, 0);
  const top = pca.variances.subarray(0, k).reduce((s, v) => s + v, 0);
  const f = {
    latent: k,
    epochs,
    source: splits.source,
    n_train: splits.train.n,
    n_test: splits.test.n,
    pca_test_mse: mse(splits.test),
    ae_test_mse: aeMse(splits.test, 'test'),
    pca_train_mse: mse(splits.train),
    ae_train_mse: aeMse(splits.train, 'training'),
  };
  return {
    ...f,
    ratio: f.ae_test_mse / f.pca_test_mse,
    train_ratio: f.ae_train_mse / f.pca_train_mse,
    explained_variance: total > 0 ? top / total : 1,
    angles,
    max_angle: angles.length ? Math.max(...angles) : 0,
    mean_angle: angles.length ? angles.reduce((s, a) => s + a, 0) / angles.length : 0,
  };
}

function report(f: PcaComparison): string {
  const n = (v: number) => v.toPrecision(5);
  const lines = [
    `linear autoencoder (latent ${f.latent}${f.epochs === null ? '' : `, ${f.epochs} epochs`}) vs PCA on ${f.source}`,
    `  test MSE      PCA ${n(f.pca_test_mse)}  autoencoder ${n(f.ae_test_mse)}  ratio ${f.ratio.toFixed(4)}`,
    `  training MSE  PCA ${n(f.pca_train_mse)}  autoencoder ${n(f.ae_train_mse)}  ratio ${f.train_ratio.toFixed(4)}`,
    `  principal angles, decoder columns vs top-${f.latent} principal directions: largest ${f.max_angle.toFixed(2)}°, mean ${f.mean_angle.toFixed(2)}°`,
    `  the top ${f.latent} principal directions hold ${(100 * f.explained_variance).toFixed(1)}% of the training variance`,
  ];
  // PCA is optimal on the data it was fitted on: an autoencoder beating it there is a bug.
  if (f.train_ratio < 1 - TRAIN_RATIO_SLACK) lines.push(`  warning: the autoencoder beats PCA on the training split by more than rounding (ratio ${f.train_ratio}): a bug; please report it`);
  return lines.join('\n') + '\n';
}
