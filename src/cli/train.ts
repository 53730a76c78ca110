// ae-wasm train: train a preset (fitted to the data's sample shape) or an --arch record on
// any data source and write the model, its history and pictures to --out as one set (src/io/run-set-node.ts); rotated checkpoints every N epochs,
// one on Ctrl-C / SIGTERM, and --resume.

import { Command, Option } from 'commander';
import path from 'node:path';
import { rmdir, stat } from 'node:fs/promises';
import { AeError, ArgumentError, DataError, FormatError, ShapeError } from '../errors.js';
import { prepareOutputDirectory, readFileBytes, writeFileAtomic } from '../io/file-node.js';
import { checkpointsUnder, LATEST_CHECKPOINT, writeRotatedCheckpoint } from '../io/run-checkpoints-node.js';
import { abandonRun, commitRun, isRunDirectoryName, RUN_MANIFEST, startRun, type Run as RunDirectory } from '../io/run-set-node.js';
import type { Kernels } from '../kernels/kernels.js';
import { Autoencoder } from '../models/autoencoder.js';
import { decodeModel, encodeModel, type TrainingRecord } from '../models/model-file.js';
import { denseStack, pretrainGreedy, PRETRAIN_EPOCHS } from '../train/pretrain.js';
import { PRESET_NAMES, PRESETS, presetArchitecture, presetDefaults, type OutputKind, type PresetOptions } from '../models/presets.js';
import { assertFiniteParameters, checkpointFromState, historyFromCheckpoint, optimizerFromRecord, stateFromCheckpoint } from '../train/checkpoint.js';
import { NOISE_KINDS, recordedNoiseKind, type NoiseKind } from '../train/noise.js';
import { createOptimizer, type Optimizer } from '../train/optimizers.js';
import { TRAIN_DEFAULTS, validateTrainOptions, type OptionNames } from '../train/train-options.js';
import { train, type EpochRecord, type TrainOptions, type TrainState } from '../train/trainer.js';
import type { PreparedSplits } from '../data/load.js';
import { inUnitRange } from '../data/storage.js';
import { parseMemorySize } from '../train/stream-budget.js';
import type { Architecture } from '../models/architecture.js';
import { architectureFromJson } from '../models/custom-architecture.js';
import { addBackendOption, addDataOption, backendFrom, backendNote, dataFrom, outputMode, type DataFlags } from './context.js';
import { isImageShape } from './display.js';
import { anyInteger, anyNumber, flagName, floatArg, intArg } from './options.js';
import { lossPng, reconstructionsPng } from './pictures.js';
import { hasLabels, keepClasses, labelListArg, normalClasses, normalTrainingSplits } from './normal-labels.js';
import { createReporter } from './progress.js';
import { dataClassCount, requireLabels } from './class-labels.js';
import { requireImages, requireTrainingAfterValidation } from '../data/dataset.js';

interface TrainFlags extends DataFlags {
  preset: string;
  arch?: string;
  latent?: number;
  epochs: number;
  batch: number;
  lr?: number;
  optimizer: 'adam' | 'sgd';
  momentum?: number;
  loss?: 'mse' | 'bce';
  seed: number;
  backend: 'wasm' | 'js';
  valSplit: number;
  patience?: number;
  noise?: number;
  noiseKind?: NoiseKind;
  l1: number;
  beta: number;
  clipNorm?: number;
  out?: string;
  checkpointEvery?: number;
  keep?: number;
  resume?: string;
  pretrain?: 'greedy';
  pretrainEpochs?: number;
  normalLabels?: string[];
  quiet?: boolean;
  maxMemory?: string;
}

/** Settings a checkpoint fixes: giving them with --resume is an error, not silently ignored. */
const FIXED_BY_CHECKPOINT = [
  'preset', 'arch', 'latent', 'batch', 'lr', 'optimizer', 'momentum', 'loss', 'seed', 'valSplit', 'patience', 'noise', 'noiseKind', 'l1', 'beta', 'clipNorm',
  'normalize', 'imageSize', 'channels', 'testSplit', 'pretrain', 'pretrainEpochs', 'normalLabels',
] as const;

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
  const { epochs, batch: batchSize, seed, noise, noiseKind, l1, beta, valSplit: validationSplit, patience, clipNorm } = flags;
  return { epochs, batchSize, seed, noise, noiseKind, l1, beta, validationSplit, patience, clipNorm };
}

export function trainCommand(): Command {
  const cmd = new Command('train')
    .description('train an autoencoder and write model.safetensors, history.json, reconstructions.png and loss.png')
    .addOption(new Option('--preset <name>', 'architecture preset, fitted to the data\'s sample shape (conv: height and width divisible by 4; deep-conv: even)').choices(PRESET_NAMES).default('dense'))
    .addOption(new Option('--arch <file.json>', 'train this architecture instead of a preset: a model file\'s "architecture" record (Keras layer specs)').conflicts(['preset', 'latent']))
    .option('--latent <n>', 'code size for dense, linear, deep (default 64, or half a smaller input) and vae (default 2)', intArg(1, 4096))
    .option('--epochs <n>', 'epochs to train (in total, counting a resumed checkpoint\'s)', anyInteger, TRAIN_DEFAULTS.epochs)
    .option('--batch <n>', 'batch size', anyInteger, TRAIN_DEFAULTS.batchSize)
    .option('--lr <x>', 'learning rate (default: adam 0.001, sgd 0.01)', floatArg(0, 10, false, true))
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(['adam', 'sgd']).default('adam'))
    .option('--momentum <x>', 'momentum for --optimizer sgd', floatArg(0, 1, true))
    .addOption(new Option('--loss <name>', 'reconstruction loss (default: mse; bce for vae)').choices(['mse', 'bce']))
    .option('--seed <n>', 'seed for initialisation, shuffling and noise', anyInteger, TRAIN_DEFAULTS.seed)
    .option('--val-split <f>', 'fraction of the training split held out for validation', anyNumber, 0)
    .option('--patience <n>', 'early stopping: epochs without val_loss improvement (needs --val-split)', anyInteger)
    .option('--noise <f>', 'denoising: input noise level, the stddev of Gaussian noise or the share of values salt-pepper / mask replaces (default 0.2 for conv, else 0)', anyNumber)
    .addOption(
      new Option('--noise-kind <kind>', 'denoising: gaussian (x + F N(0,1), clipped for pixels), salt-pepper (data min or max) or mask (0), each value with probability F')
        .choices(NOISE_KINDS),
    )
    .option('--l1 <f>', 'sparse: L1 activity penalty on the code', anyNumber, 0)
    .option('--beta <f>', 'vae: weight of the KL term', anyNumber, 1)
    .option('--clip-norm <x>', 'clip the global L2 norm of the gradients to x before each update (Keras global_clipnorm)', anyNumber)
    .option('--out <dir>', 'output directory (default runs/<preset>, or the --resume file\'s directory)')
    .option('--checkpoint-every <n>', 'write checkpoint-EEEEEE.safetensors and checkpoint.safetensors (the latest) every n epochs (and best.safetensors with --val-split)', intArg(1, 100000))
    .option('--keep <n>', 'with --checkpoint-every: how many epoch checkpoints to keep, newest first (default 1)', intArg(1, 100000))
    .option('--resume <path>', 'continue a checkpoint to --epochs in total (architecture, optimizer and random state from the file); a directory means its newest loadable checkpoint')
    .addOption(new Option('--pretrain <method>', 'greedy: first train each Dense layer of the encoder as a shallow autoencoder on the code below it (dense, linear, deep), then the whole model').choices(['greedy']))
    .option('--pretrain-epochs <n>', 'with --pretrain: epochs per layer (default 5)', intArg(1, 100000))
    .option('--max-memory <size>', 'cap the WASM heap (512M, 1G or bytes): a model and batch that cannot fit fail before training, naming the sizes')
    .option('--normal-labels <list>', 'anomaly detection: train only on the training samples of these classes (comma-separated label names, or values for unnamed integer labels); the test split keeps every class', labelListArg)
    .option('--quiet', 'print nothing but errors');
  addDataOption(cmd, { training: true });
  addBackendOption(cmd);
  return cmd.action(async (flags: TrainFlags, command: Command) => runTrain(flags, command));
}

interface Run {
  model: Autoencoder;
  record: TrainingRecord;
  optimizer: Optimizer;
  resume?: TrainState;
  /** The checkpoint file a resumed run continues. */
  from?: string;
  history: EpochRecord[];
}

function checkFreshFlags(flags: TrainFlags): void {
  if (flags.pretrainEpochs !== undefined && flags.pretrain === undefined) throw new ArgumentError('--pretrain-epochs goes with --pretrain greedy');
  if (flags.arch !== undefined && flags.beta !== 1) throw new ArgumentError('--beta applies to the vae preset only; an --arch record sets its own');
  if (flags.arch !== undefined) return;
  if (flags.latent !== undefined && PRESETS[flags.preset]!.defaultLatent === null) {
    throw new ArgumentError(`--latent does not apply to preset ${flags.preset}: its code shape is fixed by its layers`);
  }
  if (flags.momentum !== undefined && flags.optimizer !== 'sgd') throw new ArgumentError('--momentum goes with --optimizer sgd');
  if (flags.beta !== 1 && flags.preset !== 'vae' && flags.preset !== 'cvae') throw new ArgumentError('--beta applies to the vae and cvae presets only');
  // A labelled preset's graph carries its own loss terms (--loss picks its reconstruction term's kind); it has no L1 term.
  if (PRESETS[flags.preset]!.labelled) {
    // Its graph carries its own loss terms; the conditional VAE takes --loss for its reconstruction term (and --beta).
    const given = (['loss', 'l1'] as const).filter((k) => (k === 'loss' ? flags.loss !== undefined && flags.preset !== 'cvae' : flags.l1 !== 0));
    if (given.length > 0) throw new ArgumentError(`${given.map(flagName).join(', ')} does not apply to preset ${flags.preset}: its graph sets its loss terms`);
  }
}

/**
 * The output activation the data calls for: sigmoid where every training value lies in
 * [0, 1] (scaled pixels, min-max), linear beyond it (standardised data, raw values).
 */
function outputKindFor(splits: PreparedSplits): OutputKind {
  if (splits.normalization.kind === 'standard') return 'linear';
  return inUnitRange(splits.train) ? 'sigmoid' : 'linear';
}

async function architectureOf(flags: TrainFlags, splits: PreparedSplits, output: OutputKind): Promise<Architecture> {
  const shape = [...splits.train.shape];
  if (flags.arch === undefined) return presetArchitecture(flags.preset, { latent: flags.latent, inputShape: shape, output, ...presetLabels(flags, splits) });
  const arch = architectureFromJson(new TextDecoder().decode(await readFileBytes(flags.arch, MAX_ARCH_BYTES)), flags.arch);
  if (arch.input_shape.join() !== shape.join()) {
    throw new ShapeError(`${flags.arch}: input_shape is [${arch.input_shape.join(', ')}] but the samples of ${splits.source} are [${shape.join(', ')}]`);
  }
  return arch;
}

/** A labelled preset (ae-classifier, cvae) is built for the data's classes, its loss terms from the flags; it refuses data without labels (DataError). */
function presetLabels(flags: TrainFlags, splits: PreparedSplits): Pick<PresetOptions, 'labels' | 'loss' | 'beta'> {
  if (!PRESETS[flags.preset]!.labelled) return {};
  requireLabels(splits, flags.labels, `preset ${flags.preset}`);
  const labels = dataClassCount(splits);
  if (flags.preset === 'ae-classifier' && labels < 2) throw new DataError(`preset ${flags.preset} needs at least 2 classes, but the labels of ${splits.source} hold ${labels}`);
  return { labels, ...(flags.preset === 'cvae' ? { beta: flags.beta, ...(flags.loss ? { loss: flags.loss } : {}) } : {}) };
}

/** An architecture record is a few KB; 4 MiB is far beyond any real one. */
const MAX_ARCH_BYTES = 1 << 22;

async function freshRun(flags: TrainFlags, kernels: Kernels, splits: PreparedSplits): Promise<Run> {
  const output = outputKindFor(splits);
  const arch = await architectureOf(flags, splits, output);
  const defaults = flags.arch === undefined ? presetDefaults(flags.preset, output) : { loss: arch.kind === 'vae' && output === 'sigmoid' ? 'bce' : 'mse', noise: 0 } as const;
  const loss = flags.loss ?? defaults.loss;
  if (loss === 'bce' && output === 'linear') {
    throw new ArgumentError(`--loss bce needs data in [0, 1], but the training data of ${splits.source} (normalised: ${splits.normalization.kind}) leaves it; use --loss mse or --normalize minmax`);
  }
  const noise = flags.noise ?? defaults.noise;
  if (flags.noiseKind !== undefined && noise === 0) {
    throw new ArgumentError(`--noise-kind ${flags.noiseKind} needs --noise LEVEL > 0 (${flags.arch === undefined ? `preset ${flags.preset}` : 'an --arch record'} adds no noise by default)`);
  }
  const model = new Autoencoder(kernels, arch).initialize(flags.seed);
  model.preprocessing = splits.normalization;
  const optimizer = createOptimizer(flags.optimizer, { learningRate: flags.lr, momentum: flags.momentum });
  const record: TrainingRecord = {
    ...(flags.arch === undefined ? { preset: flags.preset } : { arch: path.basename(flags.arch) }),
    loss,
    optimizer: { ...optimizer.config(), ...(flags.clipNorm !== undefined ? { global_clipnorm: flags.clipNorm } : {}) },
    noise,
    ...(noise > 0 ? { noise_kind: flags.noiseKind ?? 'gaussian' } : {}),
    l1: flags.l1,
    beta: flags.beta,
    seed: flags.seed,
    batch_size: flags.batch,
    validation_split: flags.valSplit,
    ...(flags.patience !== undefined ? { patience: flags.patience } : {}),
    data: splits.source,
    ...(splits.split.rule === 'split' ? { test_split: splits.split.testSplit } : {}),
    ...(flags.labelColumn !== undefined ? { label_column: flags.labelColumn } : {}),
    ...(flags.pretrain ? { pretrain: flags.pretrain, pretrain_epochs: flags.pretrainEpochs ?? PRETRAIN_EPOCHS } : {}),
    ...(flags.normalLabels ? { normal_labels: flags.normalLabels } : {}),
  };
  if (flags.pretrain) denseStack(arch, model.inputSize); // refuse a model it cannot pre-train before any work
  return { model, record, optimizer, history: [] };
}

function checkResumeFlags(command: Command): void {
  const given = FIXED_BY_CHECKPOINT.filter((name) => command.getOptionValueSource(name) === 'cli');
  if (given.length > 0) {
    const names = given.map(flagName);
    throw new ArgumentError(`${names.join(', ')} cannot be changed with --resume: the checkpoint fixes them`);
  }
}

/** --resume DIR: the newest checkpoint under DIR (its own or its run directories') that loads. */
async function resumeFrom(flags: TrainFlags, kernels: Kernels): Promise<Run> {
  const given = flags.resume!;
  const isDirectory = (await stat(given).catch(() => null))?.isDirectory() ?? false;
  if (!isDirectory) return resumedRun(flags, kernels, given);
  const failures: string[] = [];
  for (const file of await checkpointsUnder(given, isRunDirectoryName)) {
    try {
      return await resumedRun(flags, kernels, file);
    } catch (err) {
      if (!(err instanceof AeError) || err instanceof ArgumentError) throw err;
      failures.push(err.message);
    }
  }
  throw new FormatError(`--resume ${given}: no loadable checkpoint in it or its run directories${failures.length ? ` (${failures.join('; ')})` : ''}`);
}

async function resumedRun(flags: TrainFlags, kernels: Kernels, file: string): Promise<Run> {
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
  return { model, record, optimizer, resume, from: file, history: historyFromCheckpoint(training.checkpoint) };
}

/**
 * Where the run's set goes: --out, else the resumed checkpoint's directory — OUT itself
 * when that is a run directory inside OUT — else runs/PRESET.
 */
async function outDirectoryOf(flags: TrainFlags): Promise<string> {
  if (flags.out !== undefined) return flags.out;
  if (!flags.resume) return path.join('runs', flags.arch === undefined ? flags.preset : path.basename(flags.arch, path.extname(flags.arch)));
  const isDirectory = (await stat(flags.resume).catch(() => null))?.isDirectory() ?? false;
  const dir = isDirectory ? flags.resume : path.dirname(flags.resume);
  return isRunDirectoryName(path.basename(path.resolve(dir))) ? path.dirname(dir) : dir;
}

/** A checkpoint that lives in a run directory of OUT continues in that directory (its rotation, its history). */
function runDirectoryOf(checkpoint: string, outDir: string): string | undefined {
  const dir = path.dirname(checkpoint);
  return isRunDirectoryName(path.basename(path.resolve(dir))) && path.resolve(path.dirname(dir)) === path.resolve(outDir) ? dir : undefined;
}

/** --max-memory in bytes (an ArgumentError naming the flag for a bad size). */
function maxMemoryOf(flags: TrainFlags): number | undefined {
  return flags.maxMemory === undefined ? undefined : parseMemorySize(flags.maxMemory, '--max-memory');
}

async function runTrain(flags: TrainFlags, command: Command): Promise<void> {
  // Before any work, so a bad value costs nothing; train() checks the same again.
  validateTrainOptions(trainOptionsOf(flags), OPTION_FLAGS);
  maxMemoryOf(flags);
  if (flags.keep !== undefined && flags.checkpointEvery === undefined) throw new ArgumentError('--keep goes with --checkpoint-every');
  if (flags.resume) checkResumeFlags(command);
  else checkFreshFlags(flags);
  const outDir = await outDirectoryOf(flags);
  const existed = (await stat(outDir).catch(() => null)) !== null;
  // A file in the way, no permission, /proc: found now, not after the last epoch.
  await prepareOutputDirectory(outDir);
  try {
    await trainTo(outDir, flags);
  } catch (err) {
    // A run that fails leaves no trace: not even the (empty) OUT it created.
    if (!existed) await rmdir(outDir).catch(() => undefined);
    throw err;
  }
}

/** --pretrain greedy: the Dense stack layer by layer, one line per layer, before the run trains the whole model. */
async function pretrain(run: Run, flags: TrainFlags, splits: PreparedSplits, reporter: ReturnType<typeof createReporter>): Promise<void> {
  const epochs = run.record['pretrain_epochs'] as number;
  reporter.log(`pre-training greedily, ${epochs} epochs per layer`);
  await pretrainGreedy(run.model, splits, {
    epochs,
    batchSize: flags.batch,
    seed: flags.seed,
    loss: run.record.loss,
    noise: run.record.noise,
    noiseKind: recordedNoiseKind(run.record),
    optimizer: () => createOptimizer(flags.optimizer, { learningRate: flags.lr, momentum: flags.momentum }),
    onLayer: (l) => reporter.log(`  layer ${l.layer}/${l.layers}: ${l.inputs} -> ${l.units} -> ${l.inputs}, ${l.loss} ${l.epochs.at(-1)!.loss.toFixed(5)}`),
  });
}

async function trainTo(outDir: string, flags: TrainFlags): Promise<void> {
  const reporter = createReporter(outputMode(flags.quiet));
  const kernels = await backendFrom(flags);
  // A resumed run reads its data as the checkpoint's model sees it; a fresh one fits to it.
  let run: Run;
  let splits: PreparedSplits;
  if (flags.resume) {
    run = await resumeFrom(flags, kernels);
    splits = await dataFrom(flags, ['train', 'test'], run.model);
    const normal = run.record['normal_labels'] as string[] | undefined;
    // As the fresh run did: the model's preprocessing applies to every class; only the normal ones train.
    if (normal) splits = { ...splits, train: keepClasses(splits.train, normalClasses(normal, splits, hasLabels(splits, flags.labels), `${run.from}: normal_labels`)) };
  } else {
    splits = await dataFrom(flags);
    if (flags.normalLabels) {
      const all = splits.train.n;
      splits = normalTrainingSplits(splits, normalClasses(flags.normalLabels, splits, hasLabels(splits, flags.labels)));
      reporter.log(`normal classes ${flags.normalLabels.join(', ')}: training on ${splits.train.n} of the ${all} training samples`);
      requireImages(splits, 'train');
      if (flags.valSplit > 0) requireTrainingAfterValidation(splits, flags.valSplit);
    }
    run = await freshRun(flags, kernels, splits);
    if (flags.pretrain) await pretrain(run, flags, splits, reporter);
  }
  if (run.model.labelCount !== null) {
    const who = run.record.preset === undefined ? 'this model' : `preset ${run.record.preset}`;
    requireLabels(splits, flags.labels, `${who}'s graph (it reads labels)`);
  }
  const dirs = await startRun(outDir, run.from === undefined ? undefined : runDirectoryOf(run.from, outDir));
  for (const item of dirs.removed) reporter.log(`removed ${item}, left by a process that no longer runs`);
  for (const dir of dirs.finished) reporter.log(`finished the commit of ${dir}, a run killed while it moved its files into ${outDir}`);
  for (const dir of dirs.unfinished) reporter.log(`note: ${dir} holds the checkpoints of an unfinished run; continue it with --resume ${dir}`);
  try {
    await trainInto(dirs, run, flags, splits, kernels, reporter);
  } catch (err) {
    await abandonRun(dirs);
    throw err;
  }
}

async function trainInto(
  dirs: RunDirectory,
  run: Run,
  flags: TrainFlags,
  splits: PreparedSplits,
  kernels: Kernels,
  reporter: ReturnType<typeof createReporter>,
): Promise<void> {
  const { model, record, optimizer } = run;
  const preset = record.preset ?? (typeof record['arch'] === 'string' ? record['arch'] : 'model');
  const file = (name: string) => path.join(dirs.dir, name);
  record.epochs = flags.epochs;
  model.training = record;
  const history = [...run.history];
  const checkpointBytes = (state: TrainState) => {
    assertFiniteParameters(model, `a checkpoint at epoch ${state.epoch}`);
    return encodeModel(model, { ...record, checkpoint: checkpointFromState(state, history) }, { optimizerState: true });
  };

  reporter.log(
    `${run.resume ? `resuming ${run.from} at epoch ${run.resume.epoch}` : 'training'} ${preset} ` +
      `(${model.params.count.toLocaleString('en-US')} parameters) on ${splits.source}, ${backendNote(kernels)}`,
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
      ...(flags.maxMemory !== undefined ? { maxMemory: maxMemoryOf(flags) } : {}),
      epochs: flags.epochs,
      batchSize: record.batch_size,
      optimizer,
      loss: record.loss,
      seed: record.seed,
      noise: record.noise,
      noiseKind: recordedNoiseKind(record),
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
            if (rec.epoch % flags.checkpointEvery === 0) await writeRotatedCheckpoint(dirs.dir, rec.epoch, checkpointBytes(state), flags.keep ?? 1);
            if (state.bestEpoch === rec.epoch) await writeFileAtomic(file('best.safetensors'), checkpointBytes(state));
          }
        },
      },
    });
  } finally {
    reporter.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  await writeFileAtomic(file('history.json'), JSON.stringify({ epochs: history }, null, 2) + '\n');
  if (result.stopped === 'interrupted') {
    await writeFileAtomic(file(LATEST_CHECKPOINT), checkpointBytes(result.state));
    const where = await commitRun(dirs, 'interrupted');
    const latest = path.join(where, LATEST_CHECKPOINT);
    const kept = where === dirs.out ? '' : ` (kept apart: ${dirs.out} holds another run's complete set)`;
    reporter.log(`interrupted by ${signalName}: wrote ${latest}${kept}; continue with --resume ${latest}`);
    process.exitCode = signalName === 'SIGTERM' ? 143 : 130;
    return;
  }
  if (result.stopped === 'early_stopping') reporter.log(`early stopping after epoch ${result.state.epoch} (best epoch ${result.bestEpoch})`);
  assertFiniteParameters(model, `${path.join(dirs.out, 'model.safetensors')}`);
  await writeFileAtomic(file('model.safetensors'), encodeModel(model, record));
  const pictures = isImageShape(model.inputShape);
  if (pictures) await writeFileAtomic(file('reconstructions.png'), reconstructionsPng(model, splits.test, 12, `${preset}: test ${splits.source.startsWith('bundled') ? 'digits' : 'images'}`));
  await writeFileAtomic(file('loss.png'), lossPng(history, `${preset}: loss per epoch`));
  const where = await commitRun(dirs, 'complete');
  const last = history[history.length - 1];
  const written = ['model.safetensors', 'history.json', ...(pictures ? ['reconstructions.png'] : []), 'loss.png'].map((n) => path.join(where, n));
  const accuracy = last?.test_accuracy === undefined ? '' : `, test accuracy ${last.test_accuracy.toFixed(4)}`;
  reporter.log(`test MSE ${last ? last.test_mse.toFixed(5) : 'n/a'}${accuracy} after ${result.state.epoch} epoch${result.state.epoch === 1 ? '' : 's'}; wrote ${written.join(', ')} (the set: ${path.join(where, RUN_MANIFEST)})`);
}
