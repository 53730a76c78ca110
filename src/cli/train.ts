// ae-wasm train: train a preset on MNIST-shaped data and write the model, its history
// and pictures to --out; checkpoints every N epochs, on Ctrl-C / SIGTERM, and --resume.

import { Command, Option } from 'commander';
import path from 'node:path';
import { ArgumentError, FormatError } from '../errors.js';
import { readFileBytes, writeFileAtomic } from '../io/file-node.js';
import type { Kernels } from '../kernels/kernels.js';
import { Autoencoder } from '../models/autoencoder.js';
import { decodeModel, encodeModel, type TrainingRecord } from '../models/model-file.js';
import { PRESET_NAMES, PRESETS, presetArchitecture } from '../models/presets.js';
import { checkpointFromState, historyFromCheckpoint, optimizerFromRecord, stateFromCheckpoint } from '../train/checkpoint.js';
import { createOptimizer, type Optimizer } from '../train/optimizers.js';
import { TRAIN_DEFAULTS, validateTrainOptions, type OptionNames } from '../train/train-options.js';
import { train, type EpochRecord, type TrainOptions, type TrainState } from '../train/trainer.js';
import { addBackendOption, addDataOption, backendFrom, dataFrom, outputMode } from './context.js';
import { anyInteger, anyNumber, floatArg, intArg } from './options.js';
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
  clipNorm?: number;
  out?: string;
  checkpointEvery?: number;
  resume?: string;
  quiet?: boolean;
}

/** Settings a checkpoint fixes: giving them with --resume is an error, not silently ignored. */
const FIXED_BY_CHECKPOINT = ['preset', 'latent', 'batch', 'lr', 'optimizer', 'momentum', 'loss', 'seed', 'valSplit', 'patience', 'noise', 'l1', 'beta', 'clipNorm'] as const;

/** The flags of the training options: their ranges are the library's (validateTrainOptions). */
const OPTION_FLAGS: OptionNames = {
  epochs: '--epochs',
  batchSize: '--batch',
  seed: '--seed',
  noise: '--noise',
  l1: '--l1',
  beta: '--beta',
  validationSplit: '--val-split',
  patience: '--patience',
  clipNorm: '--clip-norm',
};

function trainOptionsOf(flags: TrainFlags): TrainOptions {
  const { epochs, batch: batchSize, seed, noise, l1, beta, valSplit: validationSplit, patience, clipNorm } = flags;
  return { epochs, batchSize, seed, noise, l1, beta, validationSplit, patience, clipNorm };
}

export function trainCommand(): Command {
  const cmd = new Command('train')
    .description('train an autoencoder and write model.safetensors, history.json, reconstructions.png and loss.png')
    .addOption(new Option('--preset <name>', 'architecture preset').choices(PRESET_NAMES).default('dense'))
    .option('--latent <n>', 'code size for dense, linear, deep (default 64) and vae (default 2)', intArg(1, 4096))
    .option('--epochs <n>', 'epochs to train (in total, counting a resumed checkpoint\'s)', anyInteger, TRAIN_DEFAULTS.epochs)
    .option('--batch <n>', 'batch size', anyInteger, TRAIN_DEFAULTS.batchSize)
    .option('--lr <x>', 'learning rate (default: adam 0.001, sgd 0.01)', floatArg(0, 10, false, true))
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(['adam', 'sgd']).default('adam'))
    .option('--momentum <x>', 'momentum for --optimizer sgd', floatArg(0, 1, true))
    .addOption(new Option('--loss <name>', 'reconstruction loss (default: mse; bce for vae)').choices(['mse', 'bce']))
    .option('--seed <n>', 'seed for initialisation, shuffling and noise', anyInteger, TRAIN_DEFAULTS.seed)
    .option('--val-split <f>', 'fraction of the training split held out for validation', anyNumber, 0)
    .option('--patience <n>', 'early stopping: epochs without val_loss improvement (needs --val-split)', anyInteger)
    .option('--noise <f>', 'denoising: stddev of Gaussian input noise (default 0.2 for conv, else 0)', anyNumber)
    .option('--l1 <f>', 'sparse: L1 activity penalty on the code', anyNumber, 0)
    .option('--beta <f>', 'vae: weight of the KL term', anyNumber, 1)
    .option('--clip-norm <x>', 'clip the global L2 norm of the gradients to x before each update (Keras global_clipnorm)', anyNumber)
    .option('--out <dir>', 'output directory (default runs/<preset>, or the --resume file\'s directory)')
    .option('--checkpoint-every <n>', 'write OUT/checkpoint.safetensors every n epochs (and OUT/best.safetensors with --val-split)', intArg(1, 100000))
    .option('--resume <file>', 'continue a checkpoint to --epochs in total (architecture, optimizer and random state from the file)')
    .option('--quiet', 'print nothing but errors');
  addDataOption(cmd);
  addBackendOption(cmd);
  return cmd.action(async (flags: TrainFlags, command: Command) => runTrain(flags, command));
}

interface Run {
  model: Autoencoder;
  record: TrainingRecord;
  optimizer: Optimizer;
  resume?: TrainState;
  history: EpochRecord[];
}

async function freshRun(flags: TrainFlags, kernels: Kernels, source: string): Promise<Run> {
  const info = PRESETS[flags.preset]!;
  if (flags.latent !== undefined && info.defaultLatent === null) {
    throw new ArgumentError(`--latent does not apply to preset ${flags.preset}: its code shape is fixed by its layers`);
  }
  if (flags.momentum !== undefined && flags.optimizer !== 'sgd') throw new ArgumentError('--momentum goes with --optimizer sgd');
  if (flags.beta !== 1 && flags.preset !== 'vae') throw new ArgumentError('--beta applies to the vae preset only');
  const model = new Autoencoder(kernels, presetArchitecture(flags.preset, flags.latent)).initialize(flags.seed);
  const optimizer = createOptimizer(flags.optimizer, { learningRate: flags.lr, momentum: flags.momentum });
  const record: TrainingRecord = {
    preset: flags.preset,
    loss: flags.loss ?? info.defaults.loss,
    optimizer: { ...optimizer.config(), ...(flags.clipNorm !== undefined ? { global_clipnorm: flags.clipNorm } : {}) },
    noise: flags.noise ?? info.defaults.noise,
    l1: flags.l1,
    beta: flags.beta,
    seed: flags.seed,
    batch_size: flags.batch,
    validation_split: flags.valSplit,
    ...(flags.patience !== undefined ? { patience: flags.patience } : {}),
    data: source,
  };
  return { model, record, optimizer, history: [] };
}

async function resumedRun(flags: TrainFlags, command: Command, kernels: Kernels): Promise<Run> {
  const given = FIXED_BY_CHECKPOINT.filter((name) => command.getOptionValueSource(name) === 'cli');
  if (given.length > 0) {
    const names = given.map((n) => '--' + n.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()));
    throw new ArgumentError(`${names.join(', ')} cannot be changed with --resume: the checkpoint fixes them`);
  }
  const file = flags.resume!;
  const { model, training, optimizerSlots } = decodeModel(await readFileBytes(file), kernels, file);
  if (!training.checkpoint) {
    model.dispose();
    throw new FormatError(`${file}: not a checkpoint (it has no resume state); use OUT/checkpoint.safetensors written by --checkpoint-every or an interrupted run`);
  }
  const optimizer = optimizerFromRecord(training);
  if (optimizerSlots.join() !== [...optimizer.slots].sort().join()) {
    throw new FormatError(`${file}: optimizer state has slots [${optimizerSlots.join(', ')}], ${optimizer.name} needs [${optimizer.slots.join(', ')}]`);
  }
  const resume = stateFromCheckpoint(training.checkpoint);
  if (resume.epoch >= flags.epochs && !resume.partial) {
    throw new ArgumentError(`${file} has already trained ${resume.epoch} epochs; pass --epochs greater than ${resume.epoch} to continue`);
  }
  const record: TrainingRecord = { ...training };
  delete record.checkpoint;
  return { model, record, optimizer, resume, history: historyFromCheckpoint(training.checkpoint) };
}

async function runTrain(flags: TrainFlags, command: Command): Promise<void> {
  // Before any work, so a bad value costs nothing; train() checks the same again.
  validateTrainOptions(trainOptionsOf(flags), OPTION_FLAGS);
  const reporter = createReporter(outputMode(flags.quiet));
  const kernels = await backendFrom(flags);
  const splits = await dataFrom(flags);
  const run = flags.resume ? await resumedRun(flags, command, kernels) : await freshRun(flags, kernels, splits.source);
  const { model, record, optimizer } = run;
  const outDir = flags.out ?? (flags.resume ? path.dirname(flags.resume) : path.join('runs', flags.preset));
  const preset = record.preset ?? 'model';
  const files = {
    model: path.join(outDir, 'model.safetensors'),
    history: path.join(outDir, 'history.json'),
    reconstructions: path.join(outDir, 'reconstructions.png'),
    loss: path.join(outDir, 'loss.png'),
    checkpoint: path.join(outDir, 'checkpoint.safetensors'),
    best: path.join(outDir, 'best.safetensors'),
  };
  record.epochs = flags.epochs;
  model.training = record;
  const history = [...run.history];
  const writeCheckpoint = (file: string, state: TrainState) =>
    writeFileAtomic(file, encodeModel(model, { ...record, checkpoint: checkpointFromState(state, history) }, { optimizerState: true }));

  reporter.log(
    `${run.resume ? `resuming ${flags.resume} at epoch ${run.resume.epoch}` : 'training'} ${preset} ` +
      `(${model.params.count.toLocaleString('en-US')} parameters) on ${splits.source}, ${flags.backend} backend (${kernels.build})`,
  );

  // Ctrl-C / SIGTERM: stop after the current step and write a checkpoint; a second signal exits at once.
  const controller = new AbortController();
  let signalName: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalName) process.exit(sig === 'SIGINT' ? 130 : 143);
    signalName = sig;
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result;
  try {
    result = await train(model, splits, {
      epochs: flags.epochs,
      batchSize: record.batch_size,
      optimizer,
      loss: record.loss,
      seed: record.seed,
      noise: record.noise,
      l1: record.l1,
      beta: record.beta,
      validationSplit: (record['validation_split'] as number | undefined) ?? 0,
      patience: record['patience'] as number | undefined,
      clipNorm: record.optimizer['global_clipnorm'] as number | undefined,
      resume: run.resume,
      resumeSource: flags.resume,
      signal: controller.signal,
      callbacks: {
        onTrainBegin: reporter.onTrainBegin,
        onBatchEnd: reporter.onBatchEnd,
        onEpochEnd: async (rec, state) => {
          history.push(rec);
          reporter.onEpochEnd?.(rec, state);
          if (flags.checkpointEvery !== undefined) {
            if (rec.epoch % flags.checkpointEvery === 0) await writeCheckpoint(files.checkpoint, state);
            if (state.bestEpoch === rec.epoch) await writeCheckpoint(files.best, state);
          }
        },
      },
    });
  } finally {
    reporter.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  await writeFileAtomic(files.history, JSON.stringify({ epochs: history }, null, 2) + '\n');
  if (result.stopped === 'interrupted') {
    await writeCheckpoint(files.checkpoint, result.state);
    reporter.log(`interrupted by ${signalName}: wrote ${files.checkpoint}; continue with --resume ${files.checkpoint}`);
    process.exitCode = signalName === 'SIGTERM' ? 143 : 130;
    return;
  }
  if (result.stopped === 'early_stopping') reporter.log(`early stopping after epoch ${result.state.epoch} (best epoch ${result.bestEpoch})`);
  await writeFileAtomic(files.model, encodeModel(model, record));
  await writeFileAtomic(files.reconstructions, reconstructionsPng(model, splits.test, 12, `${preset}: test digits`));
  await writeFileAtomic(files.loss, lossPng(history, `${preset}: loss per epoch`));
  const last = history[history.length - 1];
  reporter.log(`test MSE ${last ? last.test_mse.toFixed(5) : 'n/a'} after ${result.state.epoch} epochs; wrote ${[files.model, files.history, files.reconstructions, files.loss].join(', ')}`);
}
