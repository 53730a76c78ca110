// loadData(source, options): any supported source as train and test splits in the data's
// own units (Node only). The format comes from `options.format` or the path: a directory
// holding train-images-idx3-ubyte[.gz] is an IDX source, any other directory an image
// class-folder source, a file ending .npy or .csv (any case) that format.
//
// The split rule, first match wins:
// 1. `testSource` given: it is the test split (same format rules, same sample shape;
//    image folders are resized to the training images' size and channels; class names
//    are matched to the training set's by name) and the whole source trains;
// 2. the source has its own test part (IDX t10k files, SOURCE/test/ beside SOURCE/train/):
//    that part tests, the rest trains;
// 3. otherwise split.ts: a permutation seeded by `seed` (default 0), the last
//    round(n * testSplit) samples (testSplit default 0.2) test.
// `testSplit` given together with 1 or 2 is an ArgumentError, so it never silently does nothing.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ArgumentError, DataError, FileError } from '../../errors.js';
import { checkOptionKeys, optionKeys } from '../../options.js';
import { readFileBytes } from '../../io/file-node.js';
import { parseCsv, type CsvOptions } from './csv.js';
import { hasIdxFiles, loadIdxSource } from './idx-raw-node.js';
import { decodeFiles, listClassFolders, type ImageOptions } from './images-node.js';
import { npyOnDisk } from './npy-disk-node.js';
import { parseNpy, parseNpyLabels, type NpyArray } from './npy.js';
import { DEFAULT_DISK_THRESHOLD } from '../storage-file-node.js';
import { DEFAULT_TEST_SPLIT, splitBySeed } from './split.js';
import {
  BYTES_PER_VALUE,
  formatShape,
  resolveDataLimits,
  sampleSize,
  type DataLimits,
  type DataSplit,
  type LoadedData,
  type SourceFormat,
  type SourceParts,
} from './types.js';

export interface LoadDataOptions extends CsvOptions, ImageOptions {
  /** The source's format; detected from the path when absent. */
  format?: SourceFormat;
  /** A separate test set (rule 1). */
  testSource?: string;
  /** Fraction of the samples that test when the source has no test part (rule 3); default 0.2. */
  testSplit?: number;
  /**
   * The fraction rule 3 uses when `testSplit` is absent (default 0.2), never an error with
   * rules 1 and 2: how a trained model's recorded split is reused on whatever source it meets.
   */
  defaultTestSplit?: number;
  /** Seed of the split permutation (rule 3); default 0. */
  seed?: number;
  /** An .npy of integer labels, one per sample of an .npy source. */
  labels?: string;
  /** An .npy of integer labels for an .npy testSource. */
  testLabels?: string;
  /**
   * Uncompressed IDX images files and .npy data files larger than this many bytes stay on
   * disk and are read in chunks as batches need them (default 256 MiB).
   */
  diskThreshold?: number;
  limits?: Partial<DataLimits>;
}

const FORMATS: readonly SourceFormat[] = ['idx', 'images', 'npy', 'csv'];

/** The source's format from `options.format` or its path. */
export async function detectFormat(source: string, format?: SourceFormat): Promise<SourceFormat> {
  if (format !== undefined) {
    if (!FORMATS.includes(format)) throw new ArgumentError(`format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
    return format;
  }
  let isDir: boolean;
  try {
    isDir = (await stat(source)).isDirectory();
  } catch (err) {
    throw new FileError(`cannot read data source ${source}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`, source, { cause: err });
  }
  if (isDir) return (await hasIdxFiles(source)) ? 'idx' : 'images';
  const ext = path.extname(source).toLowerCase();
  if (ext === '.npy') return 'npy';
  if (ext === '.csv') return 'csv';
  throw new ArgumentError(
    `cannot tell the format of data source ${source} from its name: expected a directory (IDX files or image class folders), a .npy or a .csv file, or give format`,
  );
}

async function loadNpySource(file: string, labelsFile: string | undefined, limits: DataLimits, threshold = DEFAULT_DISK_THRESHOLD): Promise<SourceParts> {
  const disk = await npyOnDisk(file, threshold);
  const array = disk ?? parseNpy(await readFileBytes(file, limits.maxFileBytes), file, limits.maxTotalBytes);
  const [n, ...sampleShape] = array.shape as [number, ...number[]];
  const train: DataSplit = disk ? { n, data: new Uint8Array(0), store: disk.store } : { n, data: (array as NpyArray).data };
  if (labelsFile !== undefined) {
    const labels = parseNpyLabels(await readFileBytes(labelsFile, limits.maxFileBytes), labelsFile);
    if (labels.length !== n) throw new DataError(`${labelsFile} holds ${labels.length} labels but ${file} holds ${n} samples`);
    train.labels = labels;
  }
  return { format: 'npy', kind: 'array', sampleShape, dtype: array.dtype, train, source: `${file}${labelsFile ? ` with labels ${labelsFile}` : ''}` };
}

async function loadCsvSource(file: string, options: CsvOptions, limits: DataLimits): Promise<SourceParts> {
  const table = parseCsv(await readFileBytes(file, limits.maxCsvBytes), file, options);
  const train: DataSplit = { n: table.n, data: table.data, ...(table.labels ? { labels: table.labels } : {}) };
  return {
    format: 'csv',
    kind: 'table',
    sampleShape: [table.features],
    dtype: 'float64',
    train,
    featureNames: table.featureNames,
    ...(table.labelNames ? { labelNames: table.labelNames } : {}),
    source: file,
  };
}

async function isDirectory(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isDirectory(), () => false);
}

async function loadImageSource(dir: string, options: ImageOptions, limits: DataLimits): Promise<SourceParts> {
  const root = path.resolve(dir);
  const trainDir = path.join(root, 'train');
  const testDir = path.join(root, 'test');
  const split = await isDirectory(trainDir);
  if (!split && (await isDirectory(testDir))) {
    throw new DataError(`${root}: has test/ but no train/; expected ${root}/train/<label>/... beside ${root}/test/<label>/...`);
  }
  const trainList = await listClassFolders(split ? trainDir : root, limits.maxImages);
  const testList = split && (await isDirectory(testDir)) ? await listClassFolders(testDir, limits.maxImages - trainList.files.length) : undefined;
  const train = await decodeFiles(trainList.files, options, limits);
  const parts: SourceParts = {
    format: 'images',
    kind: 'images',
    sampleShape: [train.height, train.width, train.channels],
    dtype: 'uint8',
    train: train.split,
    labelNames: trainList.labelNames,
    source: `image folders in ${root}`,
  };
  if (testList) {
    const test = await decodeFiles(testList.files, { imageSize: [train.height, train.width], channels: train.channels }, limits, train.split.data.length);
    parts.test = relabel(test.split, testList.labelNames, trainList.labelNames, testDir);
  }
  return parts;
}

/** Test labels re-indexed by the training set's class names; a class the training set lacks is a DataError. */
function relabel(test: DataSplit, testNames: readonly string[] | undefined, trainNames: readonly string[] | undefined, where: string): DataSplit {
  if (!test.labels || !testNames || !trainNames) return test;
  const index = new Map(trainNames.map((name, i) => [name, i]));
  const map = testNames.map((name) => {
    const i = index.get(name);
    if (i === undefined) throw new DataError(`${where}: test class ${JSON.stringify(name)} is not among the ${trainNames.length} training classes (${trainNames.slice(0, 10).join(', ')}${trainNames.length > 10 ? ', ...' : ''})`);
    return i;
  });
  return { ...test, labels: test.labels.map((l) => map[l]!) };
}

async function loadSource(source: string, format: SourceFormat, options: LoadDataOptions, labels: string | undefined, limits: DataLimits): Promise<SourceParts> {
  switch (format) {
    case 'idx':
      return loadIdxSource(source, limits, options.diskThreshold);
    case 'images':
      return loadImageSource(source, options, limits);
    case 'npy':
      return loadNpySource(source, labels, limits, options.diskThreshold);
    case 'csv':
      return loadCsvSource(source, options, limits);
  }
}

/** Every key of LoadDataOptions: loadData() refuses others. */
export const LOAD_DATA_KEYS = optionKeys<LoadDataOptions>()(
  'format', 'testSource', 'testSplit', 'defaultTestSplit', 'seed', 'labels', 'testLabels', 'diskThreshold', 'limits', 'header', 'labelColumn', 'delimiter', 'imageSize', 'channels',
);

function checkOptions(options: LoadDataOptions): void {
  checkOptionKeys(options, LOAD_DATA_KEYS, 'loadData(source, options)');
  const { seed, testSplit } = options;
  if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0)) throw new ArgumentError(`seed must be a non-negative integer, got ${JSON.stringify(seed)}`);
  if (testSplit !== undefined && !(typeof testSplit === 'number' && testSplit > 0 && testSplit < 1)) {
    throw new ArgumentError(`testSplit must be a number strictly between 0 and 1, got ${JSON.stringify(testSplit)}`);
  }
}

function nonEmpty(split: DataSplit, what: string): void {
  if (split.n === 0) throw new DataError(`${what} holds no samples; a split must not be empty`);
}

/** Train and test splits of `source` in the data's own units, by the split rule above. */
export async function loadData(source: string, options: LoadDataOptions = {}): Promise<LoadedData> {
  checkOptions(options);
  const limits = resolveDataLimits(options.limits);
  const format = await detectFormat(source, options.format);
  const parts = await loadSource(source, format, options, options.labels, limits);
  const sample = sampleSize(parts.sampleShape);
  const base = {
    kind: parts.kind,
    format: parts.format,
    sampleShape: parts.sampleShape,
    dtype: parts.dtype,
    ...(parts.labelNames ? { labelNames: parts.labelNames } : {}),
    ...(parts.featureNames ? { featureNames: parts.featureNames } : {}),
  };
  if (options.testSource !== undefined) {
    if (parts.test) throw new ArgumentError(`${parts.source} has its own test part; give testSource only for a source without one`);
    if (options.testSplit !== undefined) throw new ArgumentError('give testSource or testSplit, not both');
    const test = await loadTestSource(options.testSource, parts, options, limits);
    nonEmpty(parts.train, parts.source);
    return { ...base, train: parts.train, test, split: { rule: 'test-source', testSource: options.testSource }, source: `${parts.source}: ${parts.train.n} train; test: ${options.testSource}: ${test.n}; ${formatShape(parts.sampleShape)}` };
  }
  if (parts.test) {
    if (options.testSplit !== undefined) throw new ArgumentError(`${parts.source} has its own test part; testSplit applies only to a source without one`);
    // An own part may be empty (a t10k file of 0 images is a valid file): the caller knows
    // which split it needs (the trainer refuses an empty training split, the CLI names it).
    return { ...base, train: parts.train, test: parts.test, split: { rule: 'source-test' }, source: `${parts.source}: ${parts.train.n} train, ${parts.test.n} test, ${formatShape(parts.sampleShape)}` };
  }
  const testSplit = options.testSplit ?? options.defaultTestSplit ?? DEFAULT_TEST_SPLIT;
  const seed = options.seed ?? 0;
  const { train, test } = splitBySeed(parts.train, sample, testSplit, seed, parts.source);
  return {
    ...base,
    train,
    test,
    split: { rule: 'split', testSplit, seed },
    source: `${parts.source}: ${train.n} train, ${test.n} test (testSplit ${testSplit}, seed ${seed}), ${formatShape(parts.sampleShape)}`,
  };
}

const FORMAT_NAMES: Readonly<Record<SourceFormat, string>> = { idx: 'a directory of IDX files', images: 'image class folders', npy: 'an .npy file', csv: 'a .csv file' };

/**
 * The testSource's format: `format` when given, else its own by the detection rules (IDX
 * files and image folders may test each other: both are uint8 images), else, for a name
 * that tells nothing (a table in a .txt), the training source's. Another kind of source is
 * a DataError naming both, not a parse error of the wrong format.
 */
async function testFormat(source: string, trainFormat: SourceFormat, format: SourceFormat | undefined): Promise<SourceFormat> {
  if (format !== undefined) return detectFormat(source, format);
  let own: SourceFormat;
  try {
    own = await detectFormat(source);
  } catch (err) {
    if (err instanceof ArgumentError && trainFormat !== 'idx') return trainFormat;
    throw err;
  }
  const images = (f: SourceFormat) => f === 'idx' || f === 'images';
  if (own !== trainFormat && !(images(own) && images(trainFormat))) {
    throw new DataError(`test source ${source} is ${FORMAT_NAMES[own]} but the training source is ${FORMAT_NAMES[trainFormat]}; give a test source of the same kind`);
  }
  return own;
}

/** The testSource, held to the training source's shape, dtype and class names. */
async function loadTestSource(source: string, train: SourceParts, options: LoadDataOptions, limits: DataLimits): Promise<DataSplit> {
  const format = await testFormat(source, train.format, options.format);
  const [h, w, c] = train.sampleShape as [number, number, number];
  // Test images take the training images' size and channels, whatever the options said.
  const testOptions: LoadDataOptions = train.kind === 'images' ? { ...options, imageSize: [h, w], channels: c as 1 | 3 } : options;
  const remaining = Math.max(1, limits.maxTotalBytes - train.train.data.length * BYTES_PER_VALUE[train.dtype]);
  const parts = await loadSource(source, format, testOptions, options.testLabels, { ...limits, maxTotalBytes: remaining });
  if (parts.sampleShape.join() !== train.sampleShape.join()) {
    throw new DataError(`test source ${source} has samples of shape ${formatShape(parts.sampleShape)}, the training source ${formatShape(train.sampleShape)}`);
  }
  if (parts.dtype !== train.dtype) throw new DataError(`test source ${source} holds ${parts.dtype} data, the training source ${train.dtype}`);
  // A table's columns are matched by position: the same count under other names (or in
  // another order) would test every feature against another one's statistics.
  if (train.featureNames && parts.featureNames && parts.featureNames.join('\0') !== train.featureNames.join('\0')) {
    const names = (list: readonly string[]) => `${list.slice(0, 10).map((s) => JSON.stringify(s)).join(', ')}${list.length > 10 ? ', ...' : ''}`;
    throw new DataError(`test source ${source} has feature columns ${names(parts.featureNames)} but the training source ${names(train.featureNames)}; the test table needs the same header`);
  }
  if (parts.test) throw new DataError(`test source ${source} has a test part of its own; give its test part directly`);
  nonEmpty(parts.train, `test source ${source}`);
  if (Boolean(parts.train.labels) !== Boolean(train.train.labels)) {
    throw new DataError(`test source ${source} ${parts.train.labels ? 'has' : 'has no'} labels but the training source ${train.train.labels ? 'has' : 'has none'}`);
  }
  return relabel(parts.train, parts.labelNames, train.labelNames, source);
}
