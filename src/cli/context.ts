// Shared pieces of the sub-commands: backend and data flags, output modes.

import { InvalidArgumentError, Option, type Command } from 'commander';
import { loadSplits, type LoadSplitsOptions, type PreparedSplits } from '../data/load.js';
import { requireImages, requireTrainingAfterValidation, type SplitName } from '../data/dataset.js';
import { NORMALIZATION_KINDS, type NormalizationKind } from '../data/normalize.js';
import { ArgumentError } from '../errors.js';
import type { Kernels } from '../kernels/kernels.js';
import { BUILD_NAMES } from '../kernels/builds.js';
import { checkThreads, createKernels, defaultThreads, maxThreads } from '../kernels/node.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { flagName, floatArg, intArg } from './options.js';

export interface BackendFlags {
  backend: 'wasm' | 'js';
  deterministic?: boolean;
  /** --build: a build file by name (wins over the loader's choice). */
  build?: string;
  /** --calibrate: time the relaxed build against its baseline at start and run the faster. */
  calibrate?: boolean;
  /** Set by --threads (default: every core). */
  threads?: number;
}

/** --threads: an integer, then the library's cap (its message names the cores). */
function threadsArg(value: string): number {
  const n = intArg(1)(value);
  try {
    return checkThreads(n, '--threads');
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function addBackendOption(cmd: Command): Command {
  return cmd
    .addOption(new Option('--backend <name>', 'kernel backend: WASM SIMD or the plain JS baseline').choices(['wasm', 'js']).default('wasm'))
    .option('--deterministic', 'use the baseline SIMD build (no relaxed-SIMD fused multiply-add): results bit-identical on every machine')
    .addOption(new Option('--build <file>', 'run this kernels build (default: relaxed SIMD wherever the engine validates it, else the baseline)').choices(BUILD_NAMES))
    .option('--calibrate', 'time a small sgemm on the relaxed build and its baseline at start (a few ms) and run the faster')
    .option('--threads <n>', `kernel threads, at most ${maxThreads()} (twice the cores; results are identical for any count)`, threadsArg, defaultThreads());
}

/** The backend for a command's first line: "wasm backend (kernels-relaxed.wasm, 2 threads: why that build)". */
export function backendNote(kernels: Kernels): string {
  if (kernels.backend === 'js') return `js backend (${kernels.build})`;
  const threads = (kernels as { threads?: number }).threads ?? 1;
  return `wasm backend (${kernels.build}, ${threads} thread${threads === 1 ? '' : 's'}${kernels.buildReason ? `: ${kernels.buildReason}` : ''})`;
}

/** The data flags every command that reads data takes (src/data/load.ts, src/data/sources). */
export interface DataFlags {
  data?: string;
  testData?: string;
  testSplit?: number;
  labels?: string;
  testLabels?: string;
  labelColumn?: string;
  header?: boolean;
  delimiter?: string;
  /** train only: the rest come from the model. */
  imageSize?: [number, number];
  channels?: 1 | 3;
  normalize?: NormalizationKind;
  seed?: number;
  valSplit?: number;
}

/** --image-size HxW (or one number for a square). */
function imageSizeArg(value: string): [number, number] {
  const m = /^(\d+)(?:x(\d+))?$/i.exec(value.trim());
  const h = m ? Number(m[1]) : NaN;
  const w = m ? Number(m[2] ?? m[1]) : NaN;
  if (!(h >= 1 && w >= 1 && h <= 4096 && w <= 4096)) throw new InvalidArgumentError(`expected HxW (e.g. 32x32) with sides 1..4096, got "${value}"`);
  return [h, w];
}

export function addDataOption(cmd: Command, options: { training?: boolean } = {}): Command {
  cmd
    .option(
      '--data <source>',
      'data: a directory of MNIST-named IDX files (any image size, raw or .gz), a directory of image class folders ' +
        '(train/<label>/*.png|jpg|webp beside test/<label>/, or <label>/ folders directly), a .npy file or a .csv file of numbers; ' +
        'default: the bundled 10,000 digits',
    )
    .option('--test-data <source>', 'a separate test set for --data (same kind and sample shape)')
    .option(
      '--test-split <f>',
      "fraction of --data that tests when it has no test part of its own (default 0.2, or the model's; the permutation is seeded by --seed, or the model's)",
      floatArg(0, 1, true, true),
    )
    .option('--labels <file.npy>', 'integer class labels, one per sample of a .npy --data')
    .option('--test-labels <file.npy>', 'labels for a .npy --test-data')
    .option('--label-column <name|index>', 'CSV: the column held out as the class label (a header name, or a 0-based index; -1 is the last)')
    .option('--header', 'CSV: the first row is a header (default: detected)')
    .option('--no-header', 'CSV: the first row is data')
    .option('--delimiter <c>', 'CSV: the cell separator (default ,)');
  if (options.training) {
    cmd
      .option('--image-size <HxW>', "image folders: resize every image to H x W (default: the first image's size, which all must then have)", imageSizeArg)
      .addOption(new Option('--channels <n>', 'image folders: 1 (grey) or 3 (RGB); default from the images').choices(['1', '3']).argParser((v) => Number(v) as 1 | 3))
      .addOption(
        new Option(
          '--normalize <kind>',
          'how the model sees the data, fitted on the training split and stored in the model file (default: scale = /255 for 8-bit images, standard for float data)',
        ).choices(NORMALIZATION_KINDS),
      );
  }
  return cmd;
}

/** The CLI flag a label column names: an integer is an index, anything else a header name. */
function labelColumnOf(value: string): string | number {
  return /^-?\d+$/.test(value.trim()) ? Number(value) : value;
}

export async function backendFrom(flags: BackendFlags): Promise<Kernels> {
  return createKernels({ backend: flags.backend, deterministic: flags.deterministic, threads: flags.threads, build: flags.build, calibrate: flags.calibrate });
}

const SOURCE_FLAGS = ['testData', 'testSplit', 'labels', 'testLabels', 'labelColumn', 'imageSize', 'channels', 'delimiter'] as const;

/**
 * The splits of --data (or the bundled digits) in the values the model sees, refused with a
 * DataError naming the split and source when one the command reads is empty: before any
 * work, so an empty test split never reports `"mse": null`. `needs` defaults to both (train
 * reads both); train's flags also carry --val-split, checked here to leave at least one
 * training sample. With `model` (every command but a fresh train) the data is held to the
 * model: its preprocessing, its input size for image folders, and its training split rule
 * (the seed and test fraction of its training record; --test-split overrides the fraction).
 */
export async function dataFrom(flags: DataFlags, needs: readonly SplitName[] = ['train', 'test'], model?: Autoencoder): Promise<PreparedSplits> {
  if (flags.data === undefined) {
    const stray = SOURCE_FLAGS.find((k) => flags[k] !== undefined);
    if (stray) throw new ArgumentError(`${flagName(stray)} goes with --data (the bundled digits have their own test split)`);
  }
  const options: LoadSplitsOptions = {
    ...(flags.data !== undefined ? { data: flags.data } : {}),
    ...(flags.testData !== undefined ? { testSource: flags.testData } : {}),
    ...(flags.labels !== undefined ? { labels: flags.labels } : {}),
    ...(flags.testLabels !== undefined ? { testLabels: flags.testLabels } : {}),
    ...(flags.labelColumn !== undefined ? { labelColumn: labelColumnOf(flags.labelColumn) } : {}),
    ...(flags.header !== undefined ? { header: flags.header } : {}),
    ...(flags.delimiter !== undefined ? { delimiter: flags.delimiter } : {}),
    ...(flags.imageSize !== undefined ? { imageSize: flags.imageSize } : {}),
    ...(flags.channels !== undefined ? { channels: flags.channels } : {}),
    ...(flags.normalize !== undefined ? { normalize: flags.normalize } : {}),
  };
  const record = model?.training;
  // A CSV model's label column is held out again unless the command names one.
  if (options.labelColumn === undefined && typeof record?.['label_column'] === 'string' && flags.data?.toLowerCase().endsWith('.csv')) {
    options.labelColumn = labelColumnOf(record['label_column']);
  }
  const recorded = typeof record?.['test_split'] === 'number' ? (record['test_split'] as number) : undefined;
  if (flags.testSplit !== undefined) options.testSplit = flags.testSplit;
  else if (recorded !== undefined && flags.data !== undefined) options.defaultTestSplit = recorded;
  // A model's split is its training run's: other commands' --seed seeds their own noise.
  const seed = model ? record?.seed : flags.seed;
  if (seed !== undefined && flags.data !== undefined) options.seed = seed;
  if (model) {
    options.preprocessing = model.preprocessing;
    const [h, w, c] = model.inputShape;
    // Image folders are read at the model's size; the bundled digits are 28x28x1 as they are.
    if (flags.data !== undefined && model.inputShape.length === 3 && (c === 1 || c === 3)) {
      options.imageSize = [h!, w!];
      options.channels = c;
    }
  }
  const splits = await loadSplits(options);
  for (const split of needs) requireImages(splits, split);
  if (needs.includes('train') && flags.valSplit !== undefined && flags.valSplit > 0) requireTrainingAfterValidation(splits, flags.valSplit);
  return splits;
}

/** Human output mode for progress: a live bar on a terminal, plain lines otherwise. */
export function outputMode(quiet: boolean | undefined): 'tty' | 'plain' | 'quiet' {
  if (quiet) return 'quiet';
  return process.stderr.isTTY ? 'tty' : 'plain';
}
