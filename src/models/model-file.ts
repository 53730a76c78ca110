// Model files (DESIGN.md "Model files"): one safetensors file with F32 tensors named
// `{part}.{i}.{param}` in Keras layout, checkpoints adding `optimizer.{tensor}.{slot}`,
// and `__metadata__` keys `format`, `architecture` and `training` (JSON strings); a model
// trained on normalised data adds `__metadata__.preprocessing` and its statistics tensors
// `preprocessing.{min,max,mean,std}` (src/data/normalize.ts). Files without them load as
// before, with no preprocessing. An int8 model adds `__metadata__.quantization` and stores
// its quantized kernels as I8 with F32 scales (quantize.ts).
// Pure: no Node imports, so the browser entry loads models with it too.

import { FormatError } from '../errors.js';
import { checkOptionKeys, optionKeys } from '../options.js';
import { parsePreprocessing, preprocessingMetadata, preprocessingTensors } from '../data/normalize.js';
import type { Kernels } from '../kernels/kernels.js';
import { describeDepthExcess, jsonDepthExcess } from '../io/json-depth.js';
import { duplicateJsonKey } from './json-duplicates.js';
import { decodeSafetensors, encodeSafetensors, type DecodedTensor, type TensorEntry } from '../io/safetensors.js';
import { formatShape, sameShape } from '../nn/tensor.js';
import { checkVaeHeads, validateArchitecture } from './architecture.js';
import { Autoencoder } from './autoencoder.js';
import type { ModelLimits } from './limits.js';
import { planArchitecture, type ModelPlan } from './plan.js';
import { attachInt8, int8Layers, int8TensorEntries, parseQuantization, quantizationOf } from './quantize.js';
import { validateTrainingRecord } from './training-record.js';

export const MODEL_FORMAT = 'ae-wasm/1';

/**
 * A model file's header lists a few tensors per layer and two JSON records; 16 MiB is
 * hundreds of times more than the largest architecture the limits allow needs.
 */
export const MAX_MODEL_HEADER_BYTES = 1 << 24;

/** How a model was trained (every file has one), plus the resume state in checkpoints. */
export interface TrainingRecord {
  preset?: string;
  loss: 'mse' | 'bce';
  optimizer: Record<string, number | string>;
  noise: number;
  l1: number;
  beta: number;
  seed: number;
  batch_size?: number;
  epochs?: number;
  data?: string;
  /** The fraction of the data that tested, when the split rule permuted the source (src/data/sources/split.ts). */
  test_split?: number;
  /** The --arch file a custom architecture came from (instead of preset). */
  arch?: string;
  /** The CSV column held out as the label. */
  label_column?: string;
  /** Checkpoints: epochs completed, optimizer steps, random stream positions. */
  checkpoint?: CheckpointRecord;
  [key: string]: unknown;
}

export interface CheckpointRecord {
  epoch: number;
  step: number;
  rng: { shuffle: { key: number; counter: number }; noise: { key: number; counter: number } };
  best_val_loss?: number;
  best_epoch?: number;
  epochs_without_improvement?: number;
  /** Present when the run stopped inside an epoch. */
  partial?: { step_in_epoch: number; epoch_shuffle_counter: number; loss_sum: number; seen: number; seconds: number };
  /** The per-epoch history so far (history.json's entries). */
  history?: Record<string, number>[];
}

export interface SaveOptions {
  /** Include optimizer slots (a checkpoint). */
  optimizerState?: boolean;
}

const SAVE_KEYS = optionKeys<SaveOptions>()('optimizerState');

/** Encodes a model (and optionally its optimizer slots) to safetensors bytes. */
export function encodeModel(model: Autoencoder, training: TrainingRecord | null = model.training, options: SaveOptions = {}): Uint8Array {
  checkOptionKeys(options, SAVE_KEYS, 'encodeModel(model, training, options)');
  if (!training) throw new FormatError('a model file needs a training record: train the model first or pass one');
  const int8 = int8Layers(model);
  const tensors: TensorEntry[] = model.params.list.flatMap((p): TensorEntry[] => {
    const q = p.name.endsWith('.kernel') ? int8.get(p.name.slice(0, -'.kernel'.length)) : undefined;
    return q ? int8TensorEntries(q) : [{ name: p.name, dtype: 'F32', shape: p.shape, data: model.params.read(p) }];
  });
  if (options.optimizerState) {
    if (int8.size > 0) throw new FormatError('an int8 model has no optimizer state to save: save it without optimizerState');
    for (const p of model.params.list) {
      for (const [slot, off] of p.slots) {
        tensors.push({ name: `optimizer.${p.name}.${slot}`, dtype: 'F32', shape: p.shape, data: model.kernels.heap.read(off, p.size) });
      }
    }
  }
  const metadata: Record<string, string> = {
    format: MODEL_FORMAT,
    architecture: JSON.stringify(model.architecture),
    training: JSON.stringify(training),
  };
  const quantization = quantizationOf(model);
  if (quantization) metadata['quantization'] = JSON.stringify(quantization);
  const norm = model.preprocessing;
  if (norm) {
    if (!sameShape(norm.sampleShape, model.inputShape)) {
      throw new FormatError(`the model's preprocessing is for samples ${formatShape(norm.sampleShape)} but its input is ${formatShape(model.inputShape)}`);
    }
    tensors.push(...preprocessingTensors(norm));
    metadata['preprocessing'] = preprocessingMetadata(norm);
  }
  return encodeSafetensors(tensors, metadata);
}

export interface DecodedModel {
  model: Autoencoder;
  training: TrainingRecord;
  /** Optimizer slots found in the file, by slot name (empty for a plain model file). */
  optimizerSlots: string[];
}

function parseJson(text: string | undefined, key: string, source: string): unknown {
  if (text === undefined) throw new FormatError(`${source}: missing __metadata__ key "${key}" (not an ae-wasm model file?)`);
  const deep = jsonDepthExcess(text);
  if (deep) throw new FormatError(`${source}: __metadata__ "${key}" ${describeDepthExcess(deep)}`);
  const twice = key === 'architecture' ? duplicateJsonKey(text) : undefined;
  if (twice !== undefined) throw new FormatError(`${source}: __metadata__ "${key}" names ${JSON.stringify(twice.slice(0, 64))} twice in one object`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FormatError(`${source}: __metadata__ "${key}" is not valid JSON: ${(err as Error).message}`);
  }
}

/** Decodes and validates a model file onto a backend; `limits` bound what its architecture may ask for. */
export function decodeModel(bytes: Uint8Array, kernels: Kernels, source = '<bytes>', limits: Partial<ModelLimits> = {}): DecodedModel {
  const { tensors, metadata } = decodeSafetensors(bytes, source, MAX_MODEL_HEADER_BYTES);
  if (metadata['format'] !== MODEL_FORMAT) {
    throw new FormatError(`${source}: __metadata__ format is ${JSON.stringify(metadata['format'])}, expected "${MODEL_FORMAT}"`);
  }
  const arch = validateArchitecture(parseJson(metadata['architecture'], 'architecture', source), source);
  const training = validateTrainingRecord(parseJson(metadata['training'], 'training', source), source);
  let plan: ModelPlan;
  try {
    checkVaeHeads(arch);
    plan = planArchitecture(arch, limits);
  } catch (err) {
    throw new FormatError(`${source}: invalid architecture: ${(err as Error).message}`, { cause: err });
  }
  // Every tensor is checked against the plan before the model allocates its parameters.
  const text = metadata['preprocessing'];
  const preprocessing = text === undefined ? null : parsePreprocessing(text, tensors, arch.input_shape, source);
  const qText = metadata['quantization'];
  const quantized = qText === undefined ? null : parseQuantization(qText, tensors, arch, plan, source);
  const slotNames = checkTensors(tensors, plan, source, preprocessing !== null, quantized?.names ?? new Set());
  let model: Autoencoder;
  try {
    model = new Autoencoder(kernels, arch, limits);
  } catch (err) {
    throw new FormatError(`${source}: invalid architecture: ${(err as Error).message}`, { cause: err });
  }
  try {
    for (const p of model.params.list) if (!quantized?.names.has(p.name)) model.params.write(p, tensors.get(p.name)!.data as Float32Array);
    if (quantized) attachInt8(model, quantized.weights);
    if (slotNames.length > 0) {
      model.params.ensureTraining(slotNames);
      for (const p of model.params.trainable) {
        for (const slot of slotNames) kernels.heap.write(p.slots.get(slot)!, tensors.get(`optimizer.${p.name}.${slot}`)!.data as Float32Array);
      }
    }
    model.training = training;
    model.preprocessing = preprocessing;
    return { model, training, optimizerSlots: slotNames };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/**
 * Checks the file's tensors against the planned parameters; returns the optimizer slot
 * names, sorted. `preprocessing.*` tensors are parsePreprocessing's when the file has
 * `__metadata__.preprocessing` (it refuses any that do not belong), else strangers.
 */
function checkTensors(tensors: Map<string, DecodedTensor>, plan: ModelPlan, source: string, hasPreprocessing: boolean, int8: ReadonlySet<string>): string[] {
  const expected = new Set(plan.params.map((p) => p.name));
  const trainable = plan.params.filter((p) => p.trainable);
  const withSlots = new Set(trainable.map((p) => p.name));
  const slots = new Set<string>();
  for (const p of plan.params) {
    if (!int8.has(p.name) && tensors.get(p.name)?.dtype === 'I8') {
      throw new FormatError(`${source}: tensor "${p.name}" has dtype I8 but the file has no __metadata__ "quantization" record naming its layer: expected F32 (or an int8 model file written by ae-wasm quantize)`);
    }
  }
  for (const [name, t] of tensors) {
    if (expected.has(name) || int8.has(name)) continue;
    if (hasPreprocessing && name.startsWith('preprocessing.')) continue;
    const m = /^optimizer\.(.+)\.([A-Za-z_]+)$/.exec(name);
    if (!m || !expected.has(m[1]!)) throw new FormatError(`${source}: tensor "${name}" belongs to no parameter of the architecture`);
    if (int8.size > 0) throw new FormatError(`${source}: tensor "${name}" is optimizer state, which an int8 model file cannot hold (it runs inference only)`);
    if (!withSlots.has(m[1]!)) throw new FormatError(`${source}: tensor "${name}" is optimizer state of ${m[1]}, which is not trainable`);
    if (t.dtype !== 'F32') throw new FormatError(`${source}: tensor "${name}" has dtype ${t.dtype}, expected F32`);
    slots.add(m[2]!);
  }
  for (const p of plan.params) {
    const t = tensors.get(p.name);
    if (!t) throw new FormatError(`${source}: missing tensor "${p.name}" ${formatShape(p.shape)}`);
    if (int8.has(p.name)) continue;
    if (t.dtype !== 'F32') throw new FormatError(`${source}: tensor "${p.name}" has dtype ${t.dtype}, expected F32`);
    if (!sameShape(t.shape, p.shape)) {
      throw new FormatError(`${source}: tensor "${p.name}" has shape ${formatShape(t.shape)}, the architecture needs ${formatShape(p.shape)}`);
    }
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i] as number)) throw new FormatError(`${source}: tensor "${p.name}" holds a non-finite value at index ${i}`);
    }
  }
  const slotNames = [...slots].sort();
  for (const p of trainable) {
    for (const slot of slotNames) {
      const name = `optimizer.${p.name}.${slot}`;
      const t = tensors.get(name);
      if (!t) throw new FormatError(`${source}: checkpoint lacks optimizer slot "${name}"`);
      if (!sameShape(t.shape, p.shape)) throw new FormatError(`${source}: tensor "${name}" has shape ${formatShape(t.shape)}, expected ${formatShape(p.shape)}`);
    }
  }
  return slotNames;
}
