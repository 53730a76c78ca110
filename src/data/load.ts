// The one entry the CLI and trainer use to get data (Node only): any source (loadData,
// ./sources) or the bundled digits, as train and test Datasets in the values the model
// sees, with the normalisation that made them.
//
// Normalisation, in order: `preprocessing` given (a trained model's) is applied as it is;
// else `normalize` (default: scale for uint8 data, standard for float data) is fitted on
// the training split only and applied to both. A model file without preprocessing (written
// before it existed: MNIST-style pixels in [0, 1]) is given `legacyPreprocessing`: uint8
// data scaled by 255, float data taken as it is.
import { ArgumentError, DataError, ShapeError } from '../errors.js';
import { checkOptionKeys, optionKeys } from '../options.js';
import { loadBundledStoredSplits } from './bundled.js';
import { checkLabels, MAX_CLASSES, type Dataset, type Splits } from './dataset.js';
import { ArrayStore, checkFinite, storeChunks, storedDataset, transformFor, type SampleStore } from './storage.js';
import { applyNormalization, defaultNormalizationKind, fitNormalization, fitNormalizationChunks, UINT8_SCALE, type Normalization, type NormalizationKind } from './normalize.js';
import { LOAD_DATA_KEYS, loadData, type LoadDataOptions } from './sources/load-node.js';
import { formatShape, sampleSize, type DataSplit, type LoadedData, type SampleDtype, type SplitOrigin } from './sources/types.js';

export interface LoadSplitsOptions extends LoadDataOptions {
  /** A data source (IDX directory, image class folders, .npy, .csv); the bundled digits when absent. */
  data?: string;
  /** How to normalise when no `preprocessing` is given; default from the data's dtype. */
  normalize?: NormalizationKind;
  /**
   * A trained model's preprocessing, applied instead of fitting one; the data must have its
   * sample shape. null: the model file records none (legacyPreprocessing).
   */
  preprocessing?: Normalization | null;
}

/** Splits in model space, with what made them. */
export interface PreparedSplits extends Splits {
  /** The normalisation applied (fitted on the training split, or the one given). */
  normalization: Normalization;
  kind: LoadedData['kind'];
  /** The samples' dtype in the source (uint8 for images and IDX files). */
  dtype: SampleDtype;
  labelNames?: string[];
  featureNames?: string[];
  /** How the test split was chosen. */
  split: SplitOrigin;
}

/** The preprocessing `options` gives for data of `dtype`: a model's, its legacy stand-in (null), or none to fit. */
function givenPreprocessing(options: Pick<LoadSplitsOptions, 'preprocessing'>, dtype: SampleDtype, shape: readonly number[]): Normalization | undefined {
  return options.preprocessing === null ? legacyPreprocessing(dtype, shape) : options.preprocessing;
}

/** The preprocessing a model file without one stands for (see the header). */
export function legacyPreprocessing(dtype: SampleDtype, sampleShape: readonly number[]): Normalization {
  return dtype === 'uint8' ? { kind: 'scale', scale: UINT8_SCALE, sampleShape: [...sampleShape] } : { kind: 'none', sampleShape: [...sampleShape] };
}

const DIGIT_NAMES = Array.from({ length: 10 }, (_, d) => String(d));

const LOAD_SPLITS_OWN_KEYS = optionKeys<Omit<LoadSplitsOptions, keyof LoadDataOptions>>()('data', 'normalize', 'preprocessing');

export async function loadSplits(options: LoadSplitsOptions = {}): Promise<PreparedSplits> {
  checkOptionKeys(options, [...LOAD_SPLITS_OWN_KEYS, ...LOAD_DATA_KEYS], 'loadSplits(options)');
  if (options.data === undefined) {
    // The bundled digits have their own split and shape: loadData's keys would do nothing.
    const stray = LOAD_DATA_KEYS.find((k) => (options as Record<string, unknown>)[k] !== undefined);
    if (stray) throw new ArgumentError(`loadSplits(options): ${stray} goes with data (the bundled digits have their own test split, shape and labels); give data, or leave ${stray} out`);
    return bundled(options);
  }
  const { data, normalize: _n, preprocessing: _p, ...dataOptions } = options;
  const loaded = await loadData(data, dataOptions);
  return prepare(loaded, options);
}

/**
 * The bundled digits, kept as 8-bit levels: under `scale` (the default) the model sees each
 * level's recorded decimal (the digits' own values, about level / 255), as it always has.
 */
async function bundled(options: LoadSplitsOptions): Promise<PreparedSplits> {
  const splits = await loadBundledStoredSplits();
  const shape = [...splits.train.shape];
  const given = givenPreprocessing(options, 'uint8', shape);
  if (given) checkShape(given, shape, splits.source);
  const scale255 = given ? given.kind === 'scale' && given.scale === UINT8_SCALE : (options.normalize ?? 'scale') === 'scale';
  if (scale255) {
    return {
      ...splits,
      normalization: given ?? { kind: 'scale', scale: UINT8_SCALE, sampleShape: shape, labels: DIGIT_NAMES },
      kind: 'images',
      dtype: 'uint8',
      labelNames: DIGIT_NAMES,
      split: { rule: 'source-test' },
    };
  }
  // Any other normalisation works from the 8-bit levels the digits are.
  const levels = (ds: Dataset): DataSplit => ({ n: ds.n, data: (ds.storage!.store as ArrayStore).array, labels: Int32Array.from(ds.labels) });
  const loaded: LoadedData = {
    train: levels(splits.train),
    test: levels(splits.test),
    kind: 'images',
    format: 'idx',
    sampleShape: shape,
    dtype: 'uint8',
    labelNames: DIGIT_NAMES,
    split: { rule: 'source-test' },
    source: splits.source,
  };
  return prepare(loaded, options);
}

function checkShape(norm: Normalization, shape: readonly number[], source: string): void {
  if (norm.sampleShape.join() !== shape.join()) {
    throw new ShapeError(`${source}: samples are ${formatShape(shape)} but the model takes ${formatShape(norm.sampleShape)}`);
  }
}

/** LoadedData in model space: `options.preprocessing` or a normalisation fitted on its training split. */
export function prepare(loaded: LoadedData, options: Pick<LoadSplitsOptions, 'normalize' | 'preprocessing'> = {}): PreparedSplits {
  const { sampleShape, source } = loaded;
  let norm: Normalization;
  const given = givenPreprocessing(options, loaded.dtype, sampleShape);
  if (given) {
    checkShape(given, sampleShape, source);
    norm = given;
  } else {
    const kind = options.normalize ?? defaultNormalizationKind(loaded.dtype);
    if (kind === 'scale' && loaded.dtype !== 'uint8') {
      throw new DataError(`${source}: --normalize scale divides 8-bit data by 255, but this source holds ${loaded.dtype}; use minmax, standard or none`);
    }
    const fit = { ...(loaded.labelNames ? { labels: loaded.labelNames } : {}), source };
    // A training split left on disk is fitted in chunks read from its file: the same statistics.
    const store = loaded.train.store;
    norm = store ? fitNormalizationChunks(kind, store.n, storeChunks(store), sampleShape, fit) : fitNormalization(kind, loaded.train.data, sampleShape, fit);
  }
  // uint8 samples stay uint8 (normalised when a batch is filled); float ones are normalised here.
  const dataset = (split: DataSplit, which: string): Dataset => {
    const labels = labelsOf(split, `${source} (${which} labels)`, loaded.format === 'csv');
    if (loaded.dtype !== 'uint8' && !split.store) return { images: applyNormalization(norm, split.data), labels, n: split.n, shape: sampleShape };
    // Files read from disk stay there: their samples are normalised as each batch is filled.
    const store: SampleStore = split.store ?? new ArrayStore(split.data, sampleSize(sampleShape), source);
    const ds = storedDataset({ store, first: 0, transform: transformFor(norm, loaded.dtype) }, labels, sampleShape);
    checkFinite(ds, norm.kind);
    return ds;
  };
  return {
    train: dataset(loaded.train, 'train'),
    test: dataset(loaded.test, 'test'),
    source,
    normalization: norm,
    kind: loaded.kind,
    dtype: loaded.dtype,
    split: loaded.split,
    ...(loaded.labelNames ? { labelNames: loaded.labelNames } : {}),
    ...(loaded.featureNames ? { featureNames: loaded.featureNames } : {}),
  };
}

/** Labels as the Dataset's class indices (zeros when the source has none), at most MAX_CLASSES classes. */
function labelsOf(split: DataSplit, what: string, csv: boolean): Uint8Array {
  if (!split.labels) return new Uint8Array(split.n);
  checkLabels(split.labels, csv ? `${what} (a column of more than ${MAX_CLASSES} values is no class label: leave out --label-column)` : what);
  return Uint8Array.from(split.labels);
}
