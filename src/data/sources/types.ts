// What every data source becomes: n samples of one shape in their stored dtype (uint8
// stays uint8, float64 stays float64), row-major, sample i at i * prod(sampleShape), with
// optional integer labels and label names. Normalisation (../normalize.ts) turns this into
// the Float32 the model sees; nothing here rescales.
import { resolvePositiveLimits } from '../../options.js';

export type SampleDtype = 'uint8' | 'float32' | 'float64';
export type SampleArray = Uint8Array | Float32Array | Float64Array;

/** `images`: [H, W, C] from IDX files or image folders; `table`: [features] from a CSV; `array`: an .npy's own sample shape. */
export type DataKind = 'images' | 'table' | 'array';

export type SourceFormat = 'idx' | 'images' | 'npy' | 'csv';

/** n samples of `size` values each in `dtype`, in memory or in a file. */
/** (Read and implemented in ../storage.ts; declared here so this file stays browser-safe.) */
export interface SampleStore {
  readonly dtype: SampleDtype;
  readonly n: number;
  readonly size: number;
  /** Where the samples come from (a file), for messages. */
  readonly source: string;
  /** Host bytes this store keeps alive: the samples in memory, or a file's block cache at most. */
  readonly residentBytes: number;
  /**
   * Copies the stored little-endian bytes of samples start .. start + count - 1 into
   * dst[dstByte ..]; a file that changed since it was opened is a FileError.
   */
  readBytes(start: number, count: number, dst: Uint8Array, dstByte: number): void;
}

export interface DataSplit {
  n: number;
  /** n * prod(sampleShape) values. */
  data: SampleArray;
  /** One class index per sample (0 .. labelNames.length - 1 when names are known). */
  labels?: Int32Array;
  /** Set when the samples stay in a file (read in chunks as needed); `data` is then empty. */
  store?: SampleStore;
}

/** How the test split was chosen (the split rule in load-data.ts). */
export type SplitOrigin =
  | { rule: 'test-source'; testSource: string }
  | { rule: 'source-test' }
  | { rule: 'split'; testSplit: number; seed: number };

export interface LoadedData {
  train: DataSplit;
  test: DataSplit;
  kind: DataKind;
  format: SourceFormat;
  sampleShape: number[];
  dtype: SampleDtype;
  /** Class names by label index: sorted folder names, or the CSV label column's values sorted. */
  labelNames?: string[];
  /** CSV column names of the features (the header row without the label column). */
  featureNames?: string[];
  split: SplitOrigin;
  /** Human-readable origin, for logs and model metadata. */
  source: string;
}

/** One source read whole, before the split rule: its own test part when it has one. */
export interface SourceParts {
  format: SourceFormat;
  kind: DataKind;
  sampleShape: number[];
  dtype: SampleDtype;
  train: DataSplit;
  test?: DataSplit;
  labelNames?: string[];
  featureNames?: string[];
  source: string;
}

/**
 * What a data source may ask for before anything large is allocated. The defaults are
 * far above MNIST-scale sets and below what would exhaust a laptop; raise them per call.
 */
export interface DataLimits {
  /** Bytes of one IDX (after gunzip) or .npy file. */
  maxFileBytes: number;
  /** Bytes of one CSV file: parsing holds every cell as a string, several times the file. */
  maxCsvBytes: number;
  /** Bytes of one image file. */
  maxImageFileBytes: number;
  /** width x height of one image, read from its header before decoding. */
  maxImagePixels: number;
  /** Image files in one source. */
  maxImages: number;
  /** Bytes of all samples of a source in their dtype (train and test). */
  maxTotalBytes: number;
}

export const DEFAULT_DATA_LIMITS: Readonly<DataLimits> = Object.freeze({
  maxFileBytes: 1 << 30,
  maxCsvBytes: 1 << 26,
  maxImageFileBytes: 1 << 26,
  maxImagePixels: 1 << 24,
  maxImages: 1_000_000,
  maxTotalBytes: 1 << 30,
});

/** The defaults overridden by `limits`, each checked to be a positive integer. */
export function resolveDataLimits(limits: Partial<DataLimits> = {}): DataLimits {
  return resolvePositiveLimits(DEFAULT_DATA_LIMITS, limits, 'data limit');
}

export const BYTES_PER_VALUE: Readonly<Record<SampleDtype, number>> = { uint8: 1, float32: 4, float64: 8 };

export function sampleSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
