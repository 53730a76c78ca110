// The Node library API of ae-wasm.
//
//   import { presets, createModel, train, loadModel, saveModel, loadSplits } from 'ae-wasm';

import type { Kernels } from './kernels/kernels.js';
import { backendOptions, createKernels, defaultThreads, type BackendOptions } from './kernels/node.js';
import { Autoencoder } from './models/autoencoder.js';
import type { Architecture } from './models/architecture.js';
import { PRESET_NAMES, PRESETS, presetArchitecture, presetDefaults, type PresetOptions } from './models/presets.js';
import { optionKeys } from './options.js';

export { Autoencoder } from './models/autoencoder.js';
export { RandomPurpose } from './random/streams.js';
export type { Architecture, ModelKind } from './models/architecture.js';
export type { GraphOptions } from './models/graph.js';
export { DEFAULT_MODEL_LIMITS, type ModelLimits } from './models/limits.js';
export { ModelGraph } from './models/graph.js';
export { decodeModel, encodeModel, MODEL_FORMAT, type TrainingRecord } from './models/model-file.js';
export { loadModel, saveModel, type LoadOptions } from './models/node.js';
export type { ModelSource } from './io/source.js';
export { summaryRows, summaryText } from './models/summary.js';
export { exportOnnx, ONNX_OPSET, ONNX_IR_VERSION } from './interop/export-onnx.js';
export { exportTfjs, TFJS_WEIGHTS_FILE, type TfjsExport, type TfjsModelJson } from './interop/export-tfjs.js';
export { EXPORT_PARTS, type ExportOptions, type ExportPart } from './interop/export-parts.js';
export { importKerasModel, type ImportedModel, type ImportOptions } from './interop/import-model.js';
export { readTfjsModel, type KerasArtifacts, type ShardReader } from './interop/tfjs-import.js';
export { readKerasFile } from './interop/keras-file.js';
export type { LayerSpec } from './nn/layer.js';
export { LAYER_CLASSES } from './nn/registry.js';
export { train, type Callbacks, type EpochRecord, type History, type TrainOptions, type TrainState } from './train/trainer.js';
export { TRAIN_DEFAULTS } from './train/train-options.js';
export { Adam, SGD, createOptimizer, type Optimizer } from './train/optimizers.js';
export { evaluate, evaluateWithConfusion, type Metrics } from './train/evaluate.js';
export { classifierPart } from './models/classifier.js';
export { accuracy, argmaxRows, classificationReport, Confusion, perClassAccuracy, type ConfusionMatrix } from './train/metrics.js';
export { confusionPng, type ConfusionPictureOptions } from './viz/confusion.js';
export { denseStack, pretrainGreedy, PRETRAIN_EPOCHS, type PretrainLayer, type PretrainOptions } from './train/pretrain.js';
export {
  chooseLabelled, classifierArchitecture, classifierEpochs, classifierOutput, CLASSIFY_DEFAULTS, CLASSIFY_STEPS, encoderPartsOf, evaluateClassifier, trainClassifier,
  type ClassifierOptions, type ClassifierReport, type ClassifierResult, type LabelsPerClass,
} from './train/classify.js';
export { checkpointFromState, stateFromCheckpoint, optimizerFromRecord } from './train/checkpoint.js';
export { fitPca, pcaTransform, pcaReconstructionMse, orthonormalBasis, principalAngles } from './analysis/pca.js';
export { NOISE_KINDS, corrupt, inputNoiseFor, type InputNoise, type NoiseKind } from './train/noise.js';
export { detection, percentile, rocAuc, rocCurve, type Detection, type RocCurve } from './analysis/anomaly.js';
export {
  compressCodes,
  compressImages,
  decompressCodes,
  decompressImages,
  decodeAec,
  encodeAec,
  readAecHeader,
  modelHash,
  AEC_VERSION,
  DEFAULT_AEC_LIMITS,
  type AecContents,
  type AecHeader,
  type AecLimits,
  type CompressOptions,
  type DecompressOptions,
  type DecompressedCodes,
} from './compress/index.js';
export { legacyPreprocessing, loadSplits, prepare, type LoadSplitsOptions, type PreparedSplits } from './data/load.js';
export { loadBundledSplits, BUNDLED_SPLIT_SEED } from './data/bundled.js';
export { loadIdxDir } from './data/idx-node.js';
export * from './data/sources/index.js';
export { subset, gather, validateDataset, type Dataset, type Splits } from './data/dataset.js';
export {
  ArrayStore, readSamples, storedDataset, transformFor, type DatasetStorage, type SampleStore, type SampleTransform,
} from './data/storage.js';
export { FileStore, DEFAULT_DISK_THRESHOLD } from './data/storage-file-node.js';
export { parseMemorySize } from './train/stream-budget.js';
export { createKernels, defaultThreads, type BackendOptions } from './kernels/node.js';
export type { Kernels } from './kernels/kernels.js';
export * from './errors.js';

/** Preset names and their architectures (DESIGN.md's table). */
export const presets = {
  names: PRESET_NAMES,
  info: PRESETS,
  architecture: presetArchitecture,
  /** The trainer defaults (loss, noise) of a preset for a sigmoid or linear output. */
  defaults: presetDefaults,
};

export { architectureFromJson, checkCustomArchitecture } from './models/custom-architecture.js';
export type { OutputKind, PresetOptions } from './models/presets.js';

export interface CreateModelOptions extends BackendOptions, Omit<PresetOptions, 'latent'> {
  /** Code size, for presets that have the choice (dense, linear, deep, vae). */
  latent?: number;
  /** Seed of the Keras-default initialisation. */
  seed?: number;
  /** Reuse a backend instead of creating one. */
  kernels?: Kernels;
}

const CREATE_OWN_KEYS = optionKeys<Omit<CreateModelOptions, keyof BackendOptions>>()('latent', 'inputShape', 'output', 'labels', 'loss', 'beta', 'seed', 'kernels');

/** A new, initialised model from a preset name or an architecture of your own. */
export async function createModel(spec: string | Architecture, options: CreateModelOptions = {}): Promise<Autoencoder> {
  const backend = backendOptions(options, 'createModel(spec', CREATE_OWN_KEYS);
  const arch = typeof spec === 'string' ? presetArchitecture(spec, { latent: options.latent, inputShape: options.inputShape, output: options.output, labels: options.labels, loss: options.loss, beta: options.beta }) : spec;
  const kernels = options.kernels ?? (await createKernels({ threads: defaultThreads(), ...backend }));
  return new Autoencoder(kernels, arch).initialize(options.seed ?? 0);
}
