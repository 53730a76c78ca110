// Image data sets as flat typed arrays, the layout the heap and the kernels consume.
import { ArgumentError, DataError } from '../errors.js';

/** n images, NHWC (image i starts at i * height * width * channels), pixels in [0, 1]. */
export interface Dataset {
  images: Float32Array;
  labels: Uint8Array;
  n: number;
  height: number;
  width: number;
  channels: number;
}

export interface Splits {
  train: Dataset;
  test: Dataset;
  /** Human-readable origin, for logs and model metadata. */
  source: string;
}

export function imageSize(ds: Dataset): number {
  return ds.height * ds.width * ds.channels;
}

/** Images start .. start + count - 1 as views: no copy, so writes show in `ds` too. */
export function subset(ds: Dataset, start: number, count: number): Dataset {
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > ds.n) {
    throw new ArgumentError(`subset: range [${start}, ${start + count}) is outside the ${ds.n} images`);
  }
  const size = imageSize(ds);
  return {
    ...ds,
    images: ds.images.subarray(start * size, (start + count) * size),
    labels: ds.labels.subarray(start, start + count),
    n: count,
  };
}

/** The images at `indices`, in that order, copied. */
export function gather(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const size = imageSize(ds);
  const images = new Float32Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    if (!Number.isInteger(j) || j < 0 || j >= ds.n) {
      throw new ArgumentError(`gather: index ${j} at position ${i} is outside the ${ds.n} images`);
    }
    images.set(ds.images.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = ds.labels[j]!;
  }
  return { ...ds, images, labels, n: indices.length };
}

/** Throws DataError naming the data set and the first bad image and pixel. */
export function validateDataset(ds: Dataset, name: string): void {
  for (const key of ['n', 'height', 'width', 'channels'] as const) {
    const v = ds[key];
    if (!Number.isInteger(v) || v < (key === 'n' ? 0 : 1)) {
      throw new DataError(`${name}: ${key} must be a ${key === 'n' ? 'non-negative' : 'positive'} integer, found ${v}`);
    }
  }
  const size = imageSize(ds);
  if (ds.images.length !== ds.n * size) {
    throw new DataError(
      `${name}: expected ${ds.n} x ${ds.height}x${ds.width}x${ds.channels} = ${ds.n * size} pixels, found ${ds.images.length}`,
    );
  }
  if (ds.labels.length !== ds.n) {
    throw new DataError(`${name}: expected ${ds.n} labels, found ${ds.labels.length}`);
  }
  const px = ds.images;
  for (let k = 0; k < px.length; k++) {
    const v = px[k]!;
    // Written so NaN fails too.
    if (!(v >= 0 && v <= 1)) {
      const i = Math.floor(k / size);
      throw new DataError(
        `${name}: image ${i}, pixel ${k - i * size} (flat index ${k}) is ${v}; pixels must be finite and in [0, 1]`,
      );
    }
  }
}
