// Import: a Keras / TF.js model (any dialect, already read into KerasArtifacts) -> an
// ae-wasm model on `kernels`, ready for encodeModel. The record goes through the same
// checks as a user's --arch file (checkCustomArchitecture: structure, every layer's
// config, the limits, the shapes at every edge) before anything is allocated; then the
// weights are written by name (keras-weights.ts) and the training record says where the
// model came from.

import { AeError, ArgumentError, FormatError } from '../errors.js';
import { checkOptionKeys, optionKeys } from '../options.js';
import type { Kernels } from '../kernels/kernels.js';
import { Autoencoder } from '../models/autoencoder.js';
import { checkCustomArchitecture } from '../models/custom-architecture.js';
import type { ModelLimits } from '../models/limits.js';
import type { TrainingRecord } from '../models/model-file.js';
import { validateTrainingRecord } from '../models/training-record.js';
import { isObject } from './keras-json.js';
import { mapParts, type PartOptions } from './keras-parts.js';
import { flattenModel } from './keras-topology.js';
import { assignWeights } from './keras-weights.js';
import { TFJS_CODE_METADATA, type KerasArtifacts } from './tfjs-import.js';

export interface ImportOptions extends Omit<PartOptions, 'loss'> {
  limits?: Partial<ModelLimits>;
}

export interface ImportedModel {
  model: Autoencoder;
  /** The layer whose output is the code, and the rule that chose it. */
  code: { layer: string; rule: string };
  /** What was changed or assumed on the way (dropped regularizers, softmax into the loss, a sampling layer). */
  notes: string[];
}

/** Keras loss names (strings, or {class_name} objects) that are our reconstruction losses. */
const LOSSES: Readonly<Record<string, 'mse' | 'bce'>> = {
  mse: 'mse',
  mean_squared_error: 'mse',
  MeanSquaredError: 'mse',
  meanSquaredError: 'mse',
  bce: 'bce',
  binary_crossentropy: 'bce',
  BinaryCrossentropy: 'bce',
  binaryCrossentropy: 'bce',
};

function kerasLoss(trainingConfig: unknown): 'mse' | 'bce' | undefined {
  if (!isObject(trainingConfig)) return undefined;
  let loss = trainingConfig['loss'];
  if (Array.isArray(loss)) loss = loss[0];
  if (isObject(loss)) loss = loss['class_name'] ?? loss['config'];
  return typeof loss === 'string' && Object.hasOwn(LOSSES, loss) ? LOSSES[loss] : undefined;
}

const IMPORT_KEYS = optionKeys<ImportOptions>()('limits', 'encoderOutput', 'kind');

/** Builds the ae-wasm model of `artifacts`; `source` names the file in every error. */
export function importKerasModel(kernels: Kernels, artifacts: KerasArtifacts, source: string, options: ImportOptions = {}): ImportedModel {
  checkOptionKeys(options, IMPORT_KEYS, 'importKerasModel(kernels, artifacts, source, options)');
  const graph = flattenModel(artifacts.model, source);
  const loss = kerasLoss(artifacts.trainingConfig);
  // An ae-wasm export names its code layer; --encoder-output still wins.
  const fromMetadata = options.encoderOutput === undefined && artifacts.codeLayer !== undefined;
  let mapped: ReturnType<typeof mapParts>;
  try {
    mapped = mapParts(graph, source, { ...options, ...(fromMetadata ? { encoderOutput: artifacts.codeLayer } : {}), loss });
  } catch (err) {
    // The split's own errors name --encoder-output, which the user did not give: say where the name came from.
    const splitError = `--encoder-output ${JSON.stringify(artifacts.codeLayer)}: `;
    if (fromMetadata && err instanceof ArgumentError && err.message.startsWith(splitError)) {
      throw new FormatError(`${source}: its metadata "${TFJS_CODE_METADATA}" names the code layer ${JSON.stringify(artifacts.codeLayer)}, which cannot be: ${err.message.slice(splitError.length)}`, { cause: err });
    }
    throw err;
  }
  if (fromMetadata) mapped.code.rule = `the export's "${TFJS_CODE_METADATA}" metadata`;
  const { architecture } = checkCustomArchitecture(JSON.parse(JSON.stringify(mapped.architecture)), source, options.limits);
  let model: Autoencoder;
  try {
    model = new Autoencoder(kernels, architecture, options.limits);
  } catch (err) {
    if (err instanceof AeError) throw new FormatError(`${source}: ${err.message}`, { cause: err });
    throw err;
  }
  try {
    assignWeights(model, mapped.layers, artifacts.weights, source);
    const record: TrainingRecord = {
      loss: loss ?? 'mse',
      // Keras' Adam defaults: what `train --resume`-free continued training starts from.
      optimizer: { name: 'adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
      noise: 0,
      l1: 0,
      beta: 1,
      seed: 0,
      epochs: 0,
      imported: {
        from: artifacts.dialect === 'tfjs' ? 'TF.js Layers model.json' : artifacts.dialect === 'keras2' ? 'TF.js converter model.json (Keras 2)' : source.endsWith('.keras') ? 'Keras 3 .keras' : 'TF.js converter model.json (Keras 3)',
        file: source.split(/[\\/]/).pop()!.slice(0, 256),
        ...(artifacts.kerasVersion ? { keras_version: artifacts.kerasVersion.slice(0, 64) } : {}),
        model: graph.name.slice(0, 256),
        code_layer: mapped.code.node.name,
        code_rule: mapped.code.rule,
        ...(loss ? {} : { loss_note: 'no mse / binary_crossentropy loss in the Keras training config: mse' }),
      },
    };
    model.training = validateTrainingRecord(record, source);
    return { model, code: { layer: mapped.code.node.name, rule: mapped.code.rule }, notes: mapped.notes };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
