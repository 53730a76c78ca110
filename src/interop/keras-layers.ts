// One Keras / TF.js layer config -> our layer spec (src/nn/registry.ts, Keras config keys).
// What a key does decides what happens to it:
//   read by our layer (units, filters, strides, padding, rate, ...)   kept, checked by the layer
//   bookkeeping or initialisation (name, dtype, *_initializer, seed)    dropped: the weights are loaded
//   training-only penalties (*_regularizer, *_constraint)               dropped, and said in the notes
//   a different computation (data_format channels_first, dilation, groups, output_padding, LoRA)
//                                                                       UnsupportedError naming the layer
// Activations inside layers map by name (TF.js "gelu_new" is our "gelu_approximate"; Keras 3
// may write {"class_name": "function", "config": "relu"}). Softmax is not an activation of
// ours: our sparse cross-entropy takes logits and applies it inside the loss, so a classifier
// output's softmax becomes a linear layer plus that loss (keras-parts.ts checks it ends an output).

import { UnsupportedError } from '../errors.js';
import type { LayerSpec } from '../nn/layer.js';
import { ACTIVATION_NAMES } from '../nn/activations.js';
import { isObject, type JsonObject } from './keras-json.js';
import type { KerasNode } from './keras-topology.js';

export type Translated =
  | { kind: 'layer'; spec: LayerSpec; softmax: boolean; notes: string[] }
  /** An identity at inference that we keep no layer for (Activation("softmax") at a classifier output). */
  | { kind: 'identity'; softmax: boolean; notes: string[] }
  | { kind: 'concat' }
  /** z = mean + exp(log_var / 2) * eps from [mean, log_var]. */
  | { kind: 'sample'; notes: string[] };

/** Our keys per class (what the layer's constructor reads). */
const KEPT: Readonly<Record<string, readonly string[]>> = {
  Dense: ['units', 'activation', 'use_bias'],
  Conv2D: ['filters', 'kernel_size', 'strides', 'padding', 'activation', 'use_bias'],
  Conv2DTranspose: ['filters', 'kernel_size', 'strides', 'padding', 'activation', 'use_bias'],
  MaxPooling2D: ['pool_size', 'strides', 'padding'],
  UpSampling2D: ['size', 'interpolation'],
  Flatten: [],
  Reshape: ['target_shape'],
  Activation: ['activation'],
  LeakyReLU: ['alpha', 'negative_slope'],
  ELU: ['alpha'],
  GaussianNoise: ['stddev'],
  BatchNormalization: ['axis', 'momentum', 'epsilon', 'center', 'scale', 'synchronized'],
  Dropout: ['rate', 'noise_shape'],
  SpatialDropout2D: ['rate'],
};

const DROPPED = new Set([
  'name', 'trainable', 'dtype', 'batch_input_shape', 'batch_shape', 'input_shape', 'input_dim', 'batch_size', 'seed',
  'kernel_initializer', 'bias_initializer', 'beta_initializer', 'gamma_initializer', 'moving_mean_initializer', 'moving_variance_initializer',
]);
const TRAINING_ONLY = new Set([
  'kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint',
  'beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint',
]);
/** Keys allowed only with the value that computes what we compute. */
const NEUTRAL: Readonly<Record<string, (v: unknown) => boolean>> = {
  data_format: (v) => v === null || v === 'channels_last',
  dilation_rate: (v) => v === 1 || (Array.isArray(v) && v.every((d) => d === 1)),
  groups: (v) => v === 1,
  output_padding: (v) => v === null,
  noise_shape: (v) => v === null,
  lora_rank: (v) => v === null,
  lora_alpha: () => true,
  quantization_config: (v) => v === null,
};

/** TF.js / Keras activation names that are ours under another name. */
const ACTIVATION_ALIASES: Readonly<Record<string, string>> = { gelu_new: 'gelu_approximate' };

/** A layer whose class (or registered name) says it samples z from [mean, log_var]. */
const SAMPLING = /sampl/i;

function activationName(v: unknown, node: KerasNode): string {
  let name = v;
  if (isObject(v)) name = v['config'] ?? v['class_name'];
  if (name === undefined || name === null) return 'linear';
  if (typeof name !== 'string') throw new UnsupportedError(`${node.where}: activation ${JSON.stringify(v)?.slice(0, 80)} is not a named activation`);
  const ours = Object.hasOwn(ACTIVATION_ALIASES, name) ? ACTIVATION_ALIASES[name]! : name;
  if (ours === 'softmax' || (ACTIVATION_NAMES as readonly string[]).includes(ours)) return ours;
  throw new UnsupportedError(`${node.where}: activation ${JSON.stringify(name)} is not supported; supported: ${ACTIVATION_NAMES.join(', ')} (and softmax at a classifier output)`);
}

/** Our spec for `node`, or what else it is (a concatenation, a sampling, an identity). */
export function translateLayer(node: KerasNode): Translated {
  const cls = node.className;
  const cfg = node.config;
  if (cls === 'Concatenate') {
    const axis = cfg['axis'] ?? -1;
    if (axis !== -1) throw new UnsupportedError(`${node.where}: Concatenate along axis ${JSON.stringify(axis)}; only the last axis (-1) is supported`);
    return { kind: 'concat' };
  }
  const ours = Object.hasOwn(KEPT, cls);
  if (!ours && (cls === 'Lambda' || SAMPLING.test(cls) || (node.registeredName !== undefined && SAMPLING.test(node.registeredName)))) {
    if (node.inputs.length !== 2) throw new UnsupportedError(`${node.where}: a ${cls} layer is read as a VAE's sampling z = mean + exp(log_var / 2) * eps, which needs two inputs [mean, log_var]; it has ${node.inputs.length}`);
    return { kind: 'sample', notes: [`${node.where}: taken as the VAE sampling z = mean + exp(log_var / 2) * eps (its Python code is not read)`] };
  }
  let className = cls;
  let config: JsonObject = cfg;
  if (cls === 'ReLU' || cls === 'Softmax') {
    // Keras' ReLU layer with its defaults is the relu activation; Softmax the classifier's.
    const extra = Object.keys(cfg).filter((k) => !DROPPED.has(k) && !(cls === 'ReLU' && ['max_value', 'negative_slope', 'threshold'].includes(k)) && !(cls === 'Softmax' && k === 'axis'));
    if (extra.length > 0) throw new UnsupportedError(`${node.where}: config key ${JSON.stringify(extra[0])} is not supported`);
    if (cls === 'ReLU' && !((cfg['max_value'] ?? null) === null && (cfg['negative_slope'] ?? 0) === 0 && (cfg['threshold'] ?? 0) === 0)) {
      throw new UnsupportedError(`${node.where}: ReLU with max_value, negative_slope or threshold is not supported (only the plain relu)`);
    }
    if (cls === 'Softmax' && (cfg['axis'] ?? -1) !== -1) throw new UnsupportedError(`${node.where}: Softmax along axis ${JSON.stringify(cfg['axis'])}; only -1`);
    className = 'Activation';
    config = { activation: cls === 'ReLU' ? 'relu' : 'softmax' };
  }
  const kept = Object.hasOwn(KEPT, className) ? KEPT[className] : undefined;
  if (!kept) {
    throw new UnsupportedError(`${node.where}: layer class ${JSON.stringify(cls)} is not supported; supported: InputLayer, ${Object.keys(KEPT).join(', ')}, ReLU, Softmax, Concatenate, and a sampling layer`);
  }
  const out: JsonObject = {};
  const notes: string[] = [];
  for (const key of Object.keys(config)) {
    const v = config[key];
    if (kept.includes(key)) out[key] = v;
    else if (DROPPED.has(key)) continue;
    else if (TRAINING_ONLY.has(key)) {
      if (v !== null && v !== undefined) notes.push(`${node.where}: ${key} dropped (it shapes training only; ae-wasm trains without it)`);
    } else if (Object.hasOwn(NEUTRAL, key)) {
      if (!NEUTRAL[key]!(v)) throw new UnsupportedError(`${node.where}: ${key} ${JSON.stringify(v)?.slice(0, 60)} is not supported`);
    } else {
      throw new UnsupportedError(`${node.where}: config key ${JSON.stringify(key)} is not supported for ${cls}`);
    }
  }
  let softmax = false;
  if ('activation' in out) {
    const act = activationName(out['activation'], node);
    if (act === 'softmax') {
      softmax = true;
      out['activation'] = 'linear';
    } else out['activation'] = act;
  }
  if (className === 'Activation' && softmax) return { kind: 'identity', softmax, notes };
  return { kind: 'layer', spec: { class_name: className, config: out }, softmax, notes };
}
