// Image data sets as flat typed arrays, the layout the heap and the kernels consume.
import { ArgumentError, DataError } from '../errors.js';
import { firstOutOfRange, readSamples, storedDataset, valueAt, type DatasetStorage } from './storage.js';

/**
 * n samples of one shape in the values the model sees (after normalisation), row-major:
 * sample i starts at i * prod(shape). Images are [height, width, channels] (NHWC);
 * tables [features]; arrays their own shape. `images` keeps its name from the MNIST days:
 * it holds whatever the samples are.
 */
export interface Dataset {
  images: Float32Array;
  labels: Uint8Array;
  n: number;
  /** The shape of one sample, e.g. [28, 28, 1], [32, 32, 3] or [30]. */
  shape: readonly number[];
  /**
   * Set when the samples stay in their stored dtype (uint8 images) or on disk: the store
   * and the transform applied when a batch is filled. `images` is then materialised on
   * first read (the whole set as float32): large sets are read with readSamples instead.
   */
  storage?: DatasetStorage;
}

export interface Splits {
  train: Dataset;
  test: Dataset;
  /** Human-readable origin, for logs and model metadata. */
  source: string;
}

/**
 * The most classes a data set may have: its class count is its largest label + 1, and
 * labels above MAX_CLASSES - 1 are refused at load. 64 covers MNIST and Fashion-MNIST
 * (10), EMNIST in every split (at most 62, same file names as MNIST) and KMNIST-49;
 * every picture that colours by class handles each count up to it.
 */
export const MAX_CLASSES = 64;

/** The class count of labels: the largest label + 1 (0 for no labels). A loop, not Math.max(...labels). */
export function classCount(labels: ArrayLike<number>): number {
  let max = -1;
  for (let i = 0; i < labels.length; i++) if (labels[i]! > max) max = labels[i]!;
  return max + 1;
}

/** Throws DataError naming `file`, the index and the value of the first label over MAX_CLASSES - 1. */
export function checkLabels(labels: ArrayLike<number>, file: string): void {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (!(Number.isInteger(v) && v >= 0 && v < MAX_CLASSES)) {
      throw new DataError(`${file}: label ${v} at index ${i} is outside 0..${MAX_CLASSES - 1} (at most ${MAX_CLASSES} classes)`);
    }
  }
}

/** The two splits of a data source. */
export type SplitName = 'train' | 'test';

/** Throws DataError when `split` of `splits` holds no images, naming the split and the source. */
export function requireImages(splits: Splits, split: SplitName): void {
  if (splits[split].n > 0) return;
  throw new DataError(`the ${split} split has 0 images (${splits.source}); this command needs at least one`);
}

/**
 * Throws DataError when holding out `fraction` of the training split (as the trainer
 * does: floor(n * fraction) images) leaves none to train on.
 */
export function requireTrainingAfterValidation(splits: Splits, fraction: number, flag = '--val-split'): void {
  const n = splits.train.n;
  const held = Math.floor(n * fraction);
  if (n - held > 0) return;
  throw new DataError(`${flag} ${fraction} holds out ${held} of the ${n} training images of ${splits.source}, leaving none to train on; use a smaller fraction`);
}

/** Values per sample: prod(shape). */
export function imageSize(ds: Dataset): number {
  return ds.shape.reduce((a, b) => a * b, 1);
}

/** [h, w, c] as "HxWxC", [f] as "f" (for messages). */
export function shapeText(shape: readonly number[]): string {
  return shape.join('x');
}

/** Images start .. start + count - 1 as views: no copy, so writes show in `ds` too. */
export function subset(ds: Dataset, start: number, count: number): Dataset {
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > ds.n) {
    throw new ArgumentError(`subset: range [${start}, ${start + count}) is outside the ${ds.n} images`);
  }
  const size = imageSize(ds);
  const s = ds.storage;
  if (s) return storedDataset({ ...s, first: s.first + start }, ds.labels.subarray(start, start + count), ds.shape);
  return {
    ...ds,
    images: ds.images.subarray(start * size, (start + count) * size),
    labels: ds.labels.subarray(start, start + count),
    n: count,
  };
}

/** The images at `indices`, in that order, copied (as float32 model values). */
export function gather(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const size = imageSize(ds);
  const images = new Float32Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    if (!Number.isInteger(j) || j < 0 || j >= ds.n) {
      throw new ArgumentError(`gather: index ${j} at position ${i} is outside the ${ds.n} images`);
    }
    if (ds.storage) readSamples(ds, j, 1, images, i * size);
    else images.set(ds.images.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = ds.labels[j]!;
  }
  return { images, labels, n: indices.length, shape: ds.shape };
}

/**
 * Which values a data set may hold: `unit` [0, 1] (targets of BCE, and of a sigmoid
 * output), `finite` any finite number (MSE on standardised or min-max data).
 */
export type ValueRange = 'unit' | 'finite';

/** Throws DataError naming the data set and the first bad sample and value. */
export function validateDataset(ds: Dataset, name: string, range: ValueRange = 'unit'): void {
  if (!Number.isInteger(ds.n) || ds.n < 0) throw new DataError(`${name}: n must be a non-negative integer, found ${ds.n}`);
  if (!Array.isArray(ds.shape) || ds.shape.length === 0 || !ds.shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new DataError(`${name}: shape must be a non-empty list of positive integers, found ${JSON.stringify(ds.shape)}`);
  }
  const size = imageSize(ds);
  // Messages say image and pixel for [H, W, C] data, sample and value otherwise.
  const image = ds.shape.length === 3;
  // Stored samples are never materialised here: their count is the store's, checked when made.
  const found = ds.storage ? ds.n * size : ds.images.length;
  if (found !== ds.n * size) {
    throw new DataError(`${name}: expected ${ds.n} x ${shapeText(ds.shape)} = ${ds.n * size} ${image ? 'pixels' : 'values'}, found ${found}`);
  }
  if (ds.labels.length !== ds.n) {
    throw new DataError(`${name}: expected ${ds.n} labels, found ${ds.labels.length}`);
  }
  const unit = range === 'unit';
  const k = firstOutOfRange(ds, range);
  if (k >= 0) {
    const i = Math.floor(k / size);
    throw new DataError(
      `${name}: ${image ? 'image' : 'sample'} ${i}, ${image ? 'pixel' : 'value'} ${k - i * size} (flat index ${k}) is ${valueAt(ds, k)}; ${image ? 'pixels' : 'values'} must be finite${unit ? ' and in [0, 1]' : ''}`,
    );
  }
}
