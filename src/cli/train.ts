// ae-wasm train: train a preset on MNIST-shaped data and write the model, its history
// and pictures to --out.

import { Command, Option } from 'commander';
import path from 'node:path';
import { ArgumentError } from '../errors.js';
import { writeFileAtomic } from '../io/file-node.js';
import { Autoencoder } from '../models/autoencoder.js';
import { encodeModel, type TrainingRecord } from '../models/model-file.js';
import { PRESET_NAMES, PRESETS, presetArchitecture } from '../models/presets.js';
import { createOptimizer } from '../train/optimizers.js';
import { train, TRAIN_DEFAULTS } from '../train/trainer.js';
import { addBackendOption, addDataOption, backendFrom, dataFrom, outputMode } from './context.js';
import { floatArg, intArg } from './options.js';
import { lossPng, reconstructionsPng } from './pictures.js';
import { createReporter } from './progress.js';

interface TrainFlags {
  preset: string;
  latent?: number;
  epochs: number;
  batch: number;
  lr?: number;
  optimizer: 'adam' | 'sgd';
  momentum?: number;
  loss?: 'mse' | 'bce';
  seed: number;
  data?: string;
  backend: 'wasm' | 'js';
  valSplit: number;
  patience?: number;
  noise?: number;
  l1: number;
  beta: number;
  out?: string;
  quiet?: boolean;
}

export function trainCommand(): Command {
  const cmd = new Command('train')
    .description('train an autoencoder and write model.safetensors, history.json, reconstructions.png and loss.png')
    .addOption(new Option('--preset <name>', 'architecture preset').choices(PRESET_NAMES).default('dense'))
    .option('--latent <n>', 'code size for dense, linear, deep (default 64) and vae (default 2)', intArg(1, 4096))
    .option('--epochs <n>', 'epochs to train', intArg(1, 100000), TRAIN_DEFAULTS.epochs)
    .option('--batch <n>', 'batch size', intArg(1, 65536), TRAIN_DEFAULTS.batchSize)
    .option('--lr <x>', 'learning rate (default: adam 0.001, sgd 0.01)', floatArg(0, 10, false, true))
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(['adam', 'sgd']).default('adam'))
    .option('--momentum <x>', 'momentum for --optimizer sgd', floatArg(0, 1, true))
    .addOption(new Option('--loss <name>', 'reconstruction loss (default: mse; bce for vae)').choices(['mse', 'bce']))
    .option('--seed <n>', 'seed for initialisation, shuffling and noise', intArg(0, 2 ** 32 - 1), TRAIN_DEFAULTS.seed)
    .option('--val-split <f>', 'fraction of the training split held out for validation', floatArg(0, 1, true), 0)
    .option('--patience <n>', 'early stopping: epochs without val_loss improvement (needs --val-split)', intArg(1, 100000))
    .option('--noise <f>', 'denoising: stddev of Gaussian input noise (default 0.2 for conv, else 0)', floatArg(0, 10))
    .option('--l1 <f>', 'sparse: L1 activity penalty on the code', floatArg(0, 1e6), 0)
    .option('--beta <f>', 'vae: weight of the KL term', floatArg(0, 1e6), 1)
    .option('--out <dir>', 'output directory (default runs/<preset>)')
    .option('--quiet', 'print nothing but errors');
  addDataOption(cmd);
  addBackendOption(cmd);
  return cmd.action(async (flags: TrainFlags) => runTrain(flags));
}

async function runTrain(flags: TrainFlags): Promise<void> {
  if (flags.momentum !== undefined && flags.optimizer !== 'sgd') {
    throw new ArgumentError('--momentum goes with --optimizer sgd');
  }
  const info = PRESETS[flags.preset]!;
  if (flags.latent !== undefined && info.defaultLatent === null) {
    throw new ArgumentError(`--latent does not apply to preset ${flags.preset}: its code shape is fixed by its layers`);
  }
  if (flags.patience !== undefined && flags.valSplit === 0) throw new ArgumentError('--patience needs --val-split');
  if (flags.beta !== 1 && flags.preset !== 'vae') throw new ArgumentError('--beta applies to the vae preset only');
  const outDir = flags.out ?? path.join('runs', flags.preset);
  const reporter = createReporter(outputMode(flags.quiet));
  const k = await backendFrom(flags);
  const splits = await dataFrom(flags);
  const model = new Autoencoder(k, presetArchitecture(flags.preset, flags.latent)).initialize(flags.seed);
  const optimizer = createOptimizer(flags.optimizer, { learningRate: flags.lr, momentum: flags.momentum });
  const loss = flags.loss ?? info.defaults.loss;
  const noise = flags.noise ?? info.defaults.noise;
  reporter.log(
    `training ${flags.preset} (${model.params.count.toLocaleString('en-US')} parameters) on ${splits.source}: ` +
      `${flags.backend} backend (${k.build})`,
  );
  const record: TrainingRecord = {
    preset: flags.preset,
    loss,
    optimizer: optimizer.config(),
    noise,
    l1: flags.l1,
    beta: flags.beta,
    seed: flags.seed,
    batch_size: flags.batch,
    epochs: flags.epochs,
    data: splits.source,
  };
  model.training = record;
  let history;
  try {
    history = await train(model, splits, {
      epochs: flags.epochs,
      batchSize: flags.batch,
      optimizer,
      loss,
      seed: flags.seed,
      noise,
      l1: flags.l1,
      beta: flags.beta,
      validationSplit: flags.valSplit,
      patience: flags.patience,
      callbacks: reporter,
    });
  } finally {
    reporter.stop();
  }
  if (history.stopped === 'early_stopping') reporter.log(`early stopping after epoch ${history.epochs.length} (best epoch ${history.bestEpoch})`);
  const files = {
    model: path.join(outDir, 'model.safetensors'),
    history: path.join(outDir, 'history.json'),
    reconstructions: path.join(outDir, 'reconstructions.png'),
    loss: path.join(outDir, 'loss.png'),
  };
  await writeFileAtomic(files.model, encodeModel(model, record));
  await writeFileAtomic(files.history, JSON.stringify({ epochs: history.epochs }, null, 2) + '\n');
  await writeFileAtomic(files.reconstructions, reconstructionsPng(model, splits.test, 12, `${flags.preset}: test digits`));
  await writeFileAtomic(files.loss, lossPng(history.epochs, `${flags.preset}: loss per epoch`));
  const last = history.epochs[history.epochs.length - 1]!;
  reporter.log(`test MSE ${last.test_mse.toFixed(5)} after ${last.epoch} epochs; wrote ${Object.values(files).join(', ')}`);
}
