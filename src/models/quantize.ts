// int8 models (README "int8 models", DESIGN.md "Model files"): the weight scheme, the
// model file's `quantization` record and tensors, and turning a float model's Dense layers
// into int8 ones (src/nn/layers/dense-int8.ts). Pure: the browser loads int8 files with it.
//
// Scheme "int8-symmetric-per-channel/1": a quantized Dense layer's kernel [in, units] is
// stored as `{layer}.kernel` I8 (Keras layout, codes in [-127, 127]) with
// `{layer}.kernel_scale` F32 [units]: W[i, c] = kernel_scale[c] * kernel[i, c], scale =
// max_i |W[i, c]| / 127 and codes = round-half-even(W / scale); an all-zero channel is
// stored with scale 1 and zero codes (every scale is finite and > 0). Activations are
// quantized per row at run time (not stored); biases stay F32.

import { FormatError, ShapeError } from '../errors.js';
import { checkOptionKeys, optionKeys } from '../options.js';
import type { DecodedTensor, TensorEntry } from '../io/safetensors.js';
import { Dense } from '../nn/layers/dense.js';
import { Int8Dense } from '../nn/layers/dense-int8.js';
import { formatShape } from '../nn/tensor.js';
import type { Architecture } from './architecture.js';
import { Autoencoder } from './autoencoder.js';
import type { ModelPlan } from './plan.js';

export const INT8_SCHEME = 'int8-symmetric-per-channel/1';

/** `__metadata__.quantization`: the scheme and the quantized layers (`{part}.{index}`), in file order. */
export interface QuantizationRecord {
  scheme: typeof INT8_SCHEME;
  layers: string[];
}

export interface QuantizeOptions {
  /** Dense layers (`{part}.{index}`, e.g. "decoder.0") left in float32; every other Dense layer is quantized. */
  keepFloat?: readonly string[];
}

/** One layer's int8 weights: codes [in, units] (Keras layout) and a scale per output channel. */
export interface Int8Weights {
  codes: Int8Array;
  scales: Float32Array;
}

/** Round to nearest, ties to even. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

/** Per-output-channel symmetric int8 codes of a Dense kernel [inDim, units]. */
export function quantizeKernel(kernel: ArrayLike<number>, inDim: number, units: number): Int8Weights {
  const codes = new Int8Array(inDim * units);
  const scales = new Float32Array(units);
  for (let c = 0; c < units; c++) {
    let m = 0;
    for (let i = 0; i < inDim; i++) m = Math.max(m, Math.abs(kernel[i * units + c]!));
    const scale = m > 0 ? Math.fround(m / 127) : 1;
    scales[c] = scale;
    for (let i = 0; i < inDim; i++) codes[i * units + c] = Math.max(-127, Math.min(127, roundHalfEven(kernel[i * units + c]! / scale)));
  }
  return { codes, scales };
}

/** The float32 weights an int8 layer computes with: scale[c] * code[i, c]. */
export function dequantizeKernel(w: Int8Weights, units: number): Float32Array {
  const out = new Float32Array(w.codes.length);
  for (let i = 0; i < out.length; i++) out[i] = w.scales[i % units]! * w.codes[i]!;
  return out;
}

/** The int8 layers of a model, by `{part}.{index}`. */
export function int8Layers(model: Autoencoder): Map<string, Int8Dense> {
  const out = new Map<string, Int8Dense>();
  for (const chain of model.chains.values()) for (const l of chain.layers) if (l instanceof Int8Dense) out.set(l.name, l);
  return out;
}

/** The model's quantization record, or null for a float model. */
export function quantizationOf(model: Autoencoder): QuantizationRecord | null {
  const layers = [...int8Layers(model).keys()];
  return layers.length ? { scheme: INT8_SCHEME, layers } : null;
}

/**
 * Replaces the named Dense layers of `model` by int8 ones holding `weights`, and writes the
 * dequantized weights into their float kernels. The int8 heap is freed with the model.
 */
export function attachInt8(model: Autoencoder, weights: ReadonlyMap<string, Int8Weights>): void {
  const made: Int8Dense[] = [];
  for (const [part, chain] of model.chains) {
    chain.layers.forEach((layer, i) => {
      const name = `${part}.${i}`;
      const w = weights.get(name);
      if (!w) return;
      if (!(layer instanceof Dense)) throw new ShapeError(`${name} is a ${layer.className} layer; only Dense layers can be int8`);
      model.params.write(layer.params[0]!, dequantizeKernel(w, layer.units));
      const q = new Int8Dense(layer, name, w.codes, w.scales, model.kernels);
      chain.layers[i] = q;
      made.push(q);
    });
  }
  if (made.length === 0) return;
  const dispose = model.dispose.bind(model);
  model.dispose = () => {
    for (const q of made.splice(0)) q.dispose();
    dispose();
  };
}

const QUANTIZE_KEYS = optionKeys<QuantizeOptions>()('keepFloat');

/**
 * An int8 copy of a float model on the same backend: every Dense layer but those in
 * `keepFloat` quantized (scheme above), everything else (other layers, biases,
 * preprocessing, training record) as it was. The float model is left untouched.
 */
export function quantizeModel(model: Autoencoder, options: QuantizeOptions = {}): Autoencoder {
  checkOptionKeys(options, QUANTIZE_KEYS, 'quantizeModel(model, options)');
  if (quantizationOf(model)) throw new ShapeError('quantizeModel: this model is already int8');
  const keep = new Set(options.keepFloat ?? []);
  const dense = new Map<string, Dense>();
  for (const [part, chain] of model.chains) chain.layers.forEach((l, i) => l instanceof Dense && dense.set(`${part}.${i}`, l));
  for (const name of keep) {
    if (!dense.has(name)) throw new ShapeError(`quantizeModel: keepFloat names ${JSON.stringify(name)}, which is no Dense layer of this model (its Dense layers: ${[...dense.keys()].join(', ') || 'none'})`);
  }
  const weights = new Map<string, Int8Weights>();
  for (const [name, l] of dense) {
    if (!keep.has(name)) weights.set(name, quantizeKernel(model.params.read(l.params[0]!), l.inShape[l.inShape.length - 1]!, l.units));
  }
  if (weights.size === 0) throw new ShapeError('quantizeModel: no Dense layer to quantize (the model has none, or keepFloat names them all)');
  const q = new Autoencoder(model.kernels, model.architecture);
  try {
    for (const p of model.params.list) q.params.write(q.params.get(p.name)!, model.params.read(p));
    q.training = model.training;
    q.preprocessing = model.preprocessing;
    attachInt8(q, weights);
    return q;
  } catch (err) {
    q.dispose();
    throw err;
  }
}

// ---- the model file -------------------------------------------------------------------

/** The tensors of an int8 layer's kernel in a model file. */
export function int8TensorEntries(layer: Int8Dense): TensorEntry[] {
  const kernel = layer.params[0]!;
  return [
    { name: kernel.name, dtype: 'I8', shape: kernel.shape, data: layer.codes },
    { name: `${layer.name}.kernel_scale`, dtype: 'F32', shape: [layer.units], data: layer.scales },
  ];
}

/**
 * Validates `__metadata__.quantization` and its tensors against the planned architecture
 * before anything is allocated: the scheme, each layer named once and a Dense layer, its
 * kernel I8 in [-127, 127] with the kernel's shape, its scales F32 [units], finite and > 0.
 * Returns the weights by layer and the tensor names it accounted for.
 */
export function parseQuantization(
  text: string, tensors: ReadonlyMap<string, DecodedTensor>, arch: Architecture, plan: ModelPlan, source: string,
): { weights: Map<string, Int8Weights>; names: Set<string> } {
  const where = `${source}: __metadata__ "quantization"`;
  let rec: unknown;
  try {
    rec = JSON.parse(text);
  } catch (err) {
    throw new FormatError(`${where} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) throw new FormatError(`${where} must be a JSON object {"scheme", "layers"}`);
  const r = rec as Record<string, unknown>;
  for (const key of Object.keys(r)) if (key !== 'scheme' && key !== 'layers') throw new FormatError(`${where} has unknown key ${JSON.stringify(key.slice(0, 64))} (expected scheme, layers)`);
  if (r['scheme'] !== INT8_SCHEME) throw new FormatError(`${where}: scheme is ${JSON.stringify(r['scheme'])?.slice(0, 80)}, expected "${INT8_SCHEME}"`);
  const layers = r['layers'];
  if (!Array.isArray(layers) || layers.length === 0) throw new FormatError(`${where}: layers must be a non-empty array of "{part}.{index}" names`);
  const weights = new Map<string, Int8Weights>();
  const names = new Set<string>();
  for (const name of layers) {
    if (typeof name !== 'string') throw new FormatError(`${where}: layers holds ${JSON.stringify(name)?.slice(0, 40)}, expected "{part}.{index}" strings`);
    if (weights.has(name)) throw new FormatError(`${where}: layer ${JSON.stringify(name.slice(0, 64))} is listed twice`);
    const m = /^(.+)\.(\d+)$/.exec(name);
    const spec = m && Object.hasOwn(arch.parts, m[1]!) ? arch.parts[m[1]!]?.[Number(m[2])] : undefined;
    if (!spec || spec.class_name !== 'Dense') {
      throw new FormatError(`${where}: ${JSON.stringify(name.slice(0, 64))} is ${spec ? `a ${spec.class_name} layer` : 'no layer of the architecture'}; only Dense layers are int8`);
    }
    const kernel = plan.params.find((p) => p.name === `${name}.kernel`)!;
    const units = kernel.shape[1]!;
    const codes = tensors.get(kernel.name);
    if (!codes) throw new FormatError(`${source}: missing tensor "${kernel.name}" I8 ${formatShape(kernel.shape)} of int8 layer ${name}`);
    if (codes.dtype !== 'I8') throw new FormatError(`${source}: tensor "${kernel.name}" of int8 layer ${name} has dtype ${codes.dtype}, expected I8`);
    if (codes.shape.length !== 2 || codes.shape[0] !== kernel.shape[0] || codes.shape[1] !== units) {
      throw new FormatError(`${source}: tensor "${kernel.name}" has shape ${formatShape(codes.shape)}, the architecture needs ${formatShape(kernel.shape)}`);
    }
    const c = codes.data as Int8Array;
    const low = c.indexOf(-128);
    if (low >= 0) throw new FormatError(`${source}: tensor "${kernel.name}" holds -128 at index ${low}; symmetric int8 codes are in [-127, 127]`);
    const scaleName = `${name}.kernel_scale`;
    const s = tensors.get(scaleName);
    if (!s) throw new FormatError(`${source}: missing tensor "${scaleName}" F32 [${units}] of int8 layer ${name}`);
    if (s.dtype !== 'F32') throw new FormatError(`${source}: tensor "${scaleName}" has dtype ${s.dtype}, expected F32`);
    if (s.shape.length !== 1 || s.shape[0] !== units) throw new FormatError(`${source}: tensor "${scaleName}" has shape ${formatShape(s.shape)}, expected [${units}]`);
    const scales = s.data as Float32Array;
    for (let i = 0; i < units; i++) {
      const v = scales[i]!;
      if (!Number.isFinite(v) || v <= 0) throw new FormatError(`${source}: tensor "${scaleName}" holds ${v} at index ${i}; scales must be finite and > 0`);
    }
    weights.set(name, { codes: c, scales });
    names.add(kernel.name).add(scaleName);
  }
  return { weights, names };
}
