// ae-wasm classify: a classifier on a trained model's encoder (or the same encoder trained
// from scratch, --encoder none), trained on N labelled images per class with the encoder
// frozen or fine-tuned (src/train/classify.ts); writes OUT/model.safetensors (a classifier
// model file whose training record says which encoder, N and freeze made it) and
// OUT/report.json (test accuracy, per class, the confusion matrix, N, seed, encoder digest).
// OUT is checked before any work, as train --out is, and a failed run leaves no file there.

import { Command, InvalidArgumentError, Option } from 'commander';
import { createHash } from 'node:crypto';
import { rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { PreparedSplits } from '../data/load.js';
import { ArgumentError, DataError, FormatError } from '../errors.js';
import { prepareOutputDirectory, readFileBytes, writeFileAtomic } from '../io/file-node.js';
import type { Kernels } from '../kernels/kernels.js';
import { architectureGraph, type Architecture } from '../models/architecture.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { decodeModel, encodeModel } from '../models/model-file.js';
import { PRESET_NAMES, presetArchitecture } from '../models/presets.js';
import { assertFiniteParameters } from '../train/checkpoint.js';
import { CLASSIFY_DEFAULTS, encoderPartsOf, trainClassifier, type LabelsPerClass } from '../train/classify.js';
import { addBackendOption, addDataOption, backendFrom, backendNote, dataFrom, outputMode, type BackendFlags, type DataFlags } from './context.js';
import { floatArg, intArg } from './options.js';
import { hasLabels, labelText } from './normal-labels.js';
import { createReporter } from './progress.js';

interface ClassifyFlags extends DataFlags, BackendFlags {
  encoder: string;
  labelsPerClass: LabelsPerClass;
  out: string;
  freeze?: boolean;
  hidden?: number;
  epochs?: number;
  batch: number;
  lr: number;
  seed: number;
  preset?: string;
  like?: string;
  quiet?: boolean;
}

/** The encoder --encoder none trains from scratch when neither --preset nor --like is given. */
export const DEFAULT_CLASSIFY_PRESET = 'deep';

/** --labels-per-class: a positive integer, or "all". */
function labelsPerClassArg(value: string): LabelsPerClass {
  if (value.trim().toLowerCase() === 'all') return 'all';
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer or all, got "${value}"`);
  return n;
}

export function classifyCommand(): Command {
  const cmd = new Command('classify')
    .description('train a classifier (Dense head, sparse cross-entropy) on a model\'s encoder, frozen or fine-tuned, with N labelled images per class; write model.safetensors and report.json')
    .requiredOption('--encoder <model|none>', 'a model file whose encoder (a VAE: encoder and z_mean) the classifier starts from, or none: the same classifier with its encoder freshly initialised')
    .requiredOption('--labels-per-class <n|all>', 'labelled training images per class, chosen class-balanced from the training split by --seed; all: every labelled training image', labelsPerClassArg)
    .requiredOption('--out <dir>', 'output directory for model.safetensors and report.json')
    .option('--freeze', "keep the encoder's weights as they are: only the head trains")
    .option('--hidden <units>', 'a hidden Dense(units, relu) layer in the head (default: none)', intArg(1, 65536))
    .option('--epochs <n>', 'epochs (default: about 1,000 optimizer steps, at least 5 epochs)', intArg(1, 100000))
    .option('--batch <n>', 'batch size', intArg(1, 65536), CLASSIFY_DEFAULTS.batchSize)
    .option('--lr <x>', 'Adam learning rate', floatArg(0, 10, false, true), CLASSIFY_DEFAULTS.learningRate)
    .option('--seed <n>', 'seed of the labelled subset, the initial weights and the shuffling', intArg(0, 2 ** 32 - 1), CLASSIFY_DEFAULTS.seed)
    .addOption(new Option('--preset <name>', `with --encoder none: the preset whose encoder to train (default ${DEFAULT_CLASSIFY_PRESET})`).choices(PRESET_NAMES).conflicts('like'))
    .option('--like <model>', "with --encoder none: the model file whose encoder layers to train from scratch (its weights are not used)")
    .option('--quiet', 'print nothing but errors');
  addDataOption(cmd, { training: true });
  addBackendOption(cmd);
  return cmd.action(async (flags: ClassifyFlags) => runClassify(flags));
}

/** The flags that shape how the data becomes model input: a trained encoder fixes them. */
const FIXED_BY_ENCODER = [['normalize', '--normalize'], ['imageSize', '--image-size'], ['channels', '--channels']] as const;

function checkFlags(flags: ClassifyFlags): void {
  const none = flags.encoder === 'none';
  if (!none && (flags.preset !== undefined || flags.like !== undefined)) {
    throw new ArgumentError(`${flags.preset !== undefined ? '--preset' : '--like'} goes with --encoder none (a model's encoder brings its own layers)`);
  }
  if (!none) {
    const fixed = FIXED_BY_ENCODER.find(([key]) => flags[key] !== undefined);
    if (fixed) throw new ArgumentError(`${fixed[1]} goes with --encoder none: ${flags.encoder} fixes how the data is read`);
  }
}

/** A trained model from --encoder / --like: FormatError saying the file is no model when it does not decode. */
async function readModelFile(file: string, flag: string, kernels: Kernels): Promise<{ model: Autoencoder; sha256: string }> {
  const bytes = await readFileBytes(file);
  try {
    const { model } = decodeModel(bytes, kernels, file);
    return { model, sha256: createHash('sha256').update(bytes).digest('hex') };
  } catch (err) {
    if (err instanceof FormatError) throw new FormatError(`${flag} ${file} is not an ae-wasm model file: ${err.message}`, { cause: err });
    throw err;
  }
}

interface EncoderChoice {
  encoder: Autoencoder | null;
  architecture: Architecture;
  sha256: string | null;
  /** How report.json and the record name it: the file, or "none" with the preset / model it shapes. */
  record: Record<string, string | null>;
}

async function encoderOf(flags: ClassifyFlags, kernels: Kernels): Promise<EncoderChoice> {
  if (flags.encoder !== 'none') {
    const { model, sha256 } = await readModelFile(flags.encoder, '--encoder', kernels);
    try {
      encoderPartsOf(model.architecture); // refuse an encoder that reads the label before reading any data
    } catch (err) {
      model.dispose();
      throw err;
    }
    return { encoder: model, architecture: model.architecture, sha256, record: { encoder: path.basename(flags.encoder), encoder_sha256: sha256 } };
  }
  if (flags.like !== undefined) {
    const { model, sha256 } = await readModelFile(flags.like, '--like', kernels);
    const architecture = model.architecture;
    model.dispose();
    return { encoder: null, architecture, sha256: null, record: { encoder: 'none', encoder_sha256: null, like: path.basename(flags.like), like_sha256: sha256 } };
  }
  // The preset's input shape is fitted to the data once it is read (architectureFor).
  const preset = flags.preset ?? DEFAULT_CLASSIFY_PRESET;
  return { encoder: null, architecture: presetArchitecture(preset), sha256: null, record: { encoder: 'none', encoder_sha256: null, preset } };
}

/** A preset's encoder fitted to the data's sample shape; a file's must match it. */
function architectureFor(choice: EncoderChoice, splits: PreparedSplits): Architecture {
  const shape = [...splits.train.shape];
  const preset = choice.record['preset'];
  if (preset) return presetArchitecture(preset, { inputShape: shape });
  const a = choice.architecture;
  if (a.input_shape.join() !== shape.join()) {
    const file = choice.record['like'] ?? choice.record['encoder'];
    throw new DataError(`${file} takes samples [${a.input_shape.join(', ')}] but those of ${splits.source} are [${shape.join(', ')}]`);
  }
  return a;
}

async function runClassify(flags: ClassifyFlags): Promise<void> {
  checkFlags(flags);
  const existed = (await stat(flags.out).catch(() => null)) !== null;
  await prepareOutputDirectory(flags.out);
  try {
    await classifyTo(flags);
  } catch (err) {
    // A run that fails leaves no trace: not even the (empty) OUT it created.
    if (!existed) await rmdir(flags.out).catch(() => undefined);
    throw err;
  }
}

async function classifyTo(flags: ClassifyFlags): Promise<void> {
  const reporter = createReporter(outputMode(flags.quiet));
  const kernels = await backendFrom(flags);
  const choice = await encoderOf(flags, kernels);
  try {
    const splits = await dataFrom(flags, ['train', 'test'], choice.encoder ?? undefined);
    if (!hasLabels(splits, flags.labels)) {
      throw new DataError(`classify needs class labels, but ${splits.source} has none; give --label-column for a CSV, --labels for an .npy, or use image folders or IDX files`);
    }
    const architecture = architectureFor(choice, splits);
    const names = splits.labelNames;
    const encoderParts = encoderPartsOf(architecture);
    const code = architectureGraph(architecture).code;
    reporter.log(
      `classifier on ${choice.encoder ? `the encoder of ${flags.encoder}` : `a fresh ${choice.record['preset'] ?? choice.record['like']} encoder`} ` +
        `(${encoderParts.join(', ')}${architecture.kind === 'vae' ? `; a VAE: the head reads ${code}, the deterministic code` : ''}), ${flags.freeze ? 'frozen' : 'fine-tuned'}, ` +
        `${flags.labelsPerClass === 'all' ? 'every labelled training image' : `${flags.labelsPerClass} labels per class`} of ${splits.source}, ${backendNote(kernels)}`,
    );
    let epochs = 0;
    const result = await trainClassifier(kernels, splits, {
      encoder: choice.encoder,
      architecture,
      labelsPerClass: flags.labelsPerClass,
      freeze: flags.freeze ?? false,
      hidden: flags.hidden ?? 0,
      epochs: flags.epochs,
      batchSize: flags.batch,
      learningRate: flags.lr,
      seed: flags.seed,
      preprocessing: choice.encoder ? choice.encoder.preprocessing : splits.normalization,
      labelNames: names,
      callbacks: {
        onTrainBegin: (i) => {
          epochs = i.epochs;
        },
        // About ten lines however many epochs (10 labels per class trains for hundreds).
        onEpochEnd: (r) => {
          if (r.epoch === epochs || r.epoch % Math.max(1, Math.floor(epochs / 10)) === 0) reporter.log(`epoch ${r.epoch}/${epochs}  loss ${r.loss.toFixed(5)}`);
        },
      },
    });
    const { model, test } = result;
    try {
      const record = model.training!;
      Object.assign(record['classifier'] as Record<string, unknown>, choice.record);
      const modelFile = path.join(flags.out, 'model.safetensors');
      assertFiniteParameters(model, modelFile);
      // report.json is the training record's classifier entry and hyper-parameters, plus the
      // test figures: one source, so the report and the model file cannot disagree.
      const classifier = record['classifier'] as Record<string, unknown>;
      const report = {
        ...classifier,
        ...(choice.encoder ? { encoder: flags.encoder } : {}),
        seed: record.seed,
        epochs: record.epochs,
        batch_size: record.batch_size,
        learning_rate: record.optimizer['learning_rate'],
        data: record.data,
        classes: model.labelCount,
        labels: Array.from({ length: model.labelCount! }, (_, c) => labelText(splits, c)),
        ...test,
        final_loss: result.history.epochs.at(-1)?.loss ?? null,
      };
      await writeFileAtomic(modelFile, encodeModel(model, record));
      const reportFile = path.join(flags.out, 'report.json');
      await writeFileAtomic(reportFile, JSON.stringify(report, null, 2) + '\n');
      const acc = test.accuracy === null ? 'n/a' : test.accuracy.toFixed(4);
      reporter.log(`test accuracy ${acc} on ${test.test_samples} images after ${record.epochs} epochs on ${result.labelled.length} labelled images; wrote ${modelFile}, ${reportFile}`);
    } finally {
      model.dispose();
    }
  } finally {
    choice.encoder?.dispose();
  }
}
