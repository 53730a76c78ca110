// The library's data layer in one import (Node only: loadData reads files and decodes with sharp).
export { loadData, detectFormat, type LoadDataOptions } from './load-node.js';
export { DEFAULT_DATA_LIMITS, type DataKind, type DataLimits, type DataSplit, type LoadedData, type SampleArray, type SampleDtype, type SourceFormat, type SplitOrigin } from './types.js';
export { DEFAULT_TEST_SPLIT, testCount } from './split.js';
export { encodeNpy, parseNpy, parseNpyLabels } from './npy.js';
export { parseCsv, type CsvOptions, type CsvTable } from './csv.js';
export {
  applyNormalization,
  defaultNormalizationKind,
  fitNormalization,
  invertNormalization,
  NORMALIZATION_KINDS,
  parsePreprocessing,
  preprocessingMetadata,
  preprocessingTensors,
  type Normalization,
  type NormalizationKind,
} from '../normalize.js';
