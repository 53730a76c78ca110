// What an export writes, independent of the target format: the chains of layers a `part`
// selects, each layer rebuilt from the model's architecture record with its per-sample
// shapes, and its weights read from the model's ParamStore by name `{part}.{i}.{param}`.
// Built from the record (not the model's live chains), so an export reads exactly what a
// model file stores.
//
//   part     input       chains                          outputs
//   encoder  input       encoder (+ z_mean, z_log_var)   code (VAE: z_mean, z_log_var)
//   decoder  code        decoder                         reconstruction
//   all      input       encoder (+ z_mean), decoder     reconstruction (a VAE decodes z = z_mean)

import { preprocessingMetadata } from '../data/normalize.js';
import { ArgumentError, ShapeError, UnsupportedError } from '../errors.js';
import type { Autoencoder } from '../models/autoencoder.js';
import type { PartName } from '../models/architecture.js';
import type { Layer } from '../nn/layer.js';
import { createLayer } from '../nn/registry.js';
import { formatShape, sameShape, type Shape } from '../nn/tensor.js';

export const EXPORT_PARTS = ['encoder', 'decoder', 'all'] as const;
export type ExportPart = (typeof EXPORT_PARTS)[number];

export interface ExportOptions {
  /** Which function of the model to export (default 'all': input -> reconstruction). */
  part?: ExportPart;
}

/** One layer of a chain, built, with its weights by Keras parameter name. */
export interface ExportLayer {
  layer: Layer;
  part: PartName;
  index: number;
  /** `{part}.{index}` — a unique node / layer name prefix. */
  name: string;
  weights: Map<string, Float32Array>;
}

export interface ExportChain {
  part: PartName;
  /** The chain's input: a graph input name or another chain's output name. */
  input: string;
  output: string;
  inShape: Shape;
  outShape: Shape;
  layers: ExportLayer[];
}

export interface ExportPlan {
  part: ExportPart;
  kind: Autoencoder['kind'];
  input: { name: string; shape: Shape };
  outputs: { name: string; shape: Shape }[];
  chains: ExportChain[];
  /** Metadata every export carries (ONNX metadata_props, TF.js userDefinedMetadata). */
  metadata: Record<string, string>;
}

export function checkExportPart(part: unknown): ExportPart {
  if (typeof part === 'string' && (EXPORT_PARTS as readonly string[]).includes(part)) return part as ExportPart;
  throw new ArgumentError(`export: part must be one of ${EXPORT_PARTS.join(', ')}, got ${JSON.stringify(part)}`);
}

function buildChain(model: Autoencoder, part: PartName, input: string, output: string, inShape: Shape): ExportChain {
  const specs = model.architecture.parts[part];
  if (!specs) throw new ShapeError(`export: the model has no part ${part}`);
  let shape = inShape;
  const layers = specs.map((spec, index) => {
    const layer = createLayer(spec, `${part} layer ${index}`);
    shape = layer.build(shape);
    const weights = new Map<string, Float32Array>();
    for (const p of layer.paramSpecs()) {
      const name = `${part}.${index}.${p.param}`;
      const stored = model.params.get(name);
      if (!stored || !sameShape(stored.shape, p.shape)) {
        throw new ShapeError(`export: parameter ${name} ${stored ? formatShape(stored.shape) : 'is missing'}; the architecture needs ${formatShape(p.shape)}`);
      }
      weights.set(p.param, model.params.read(stored));
    }
    return { layer, part, index, name: `${part}.${index}`, weights };
  });
  return { part, input, output, inShape, outShape: shape, layers };
}

/** Which chains, inputs and outputs an export of `part` has. */
export function exportPlan(model: Autoencoder, options: ExportOptions = {}): ExportPlan {
  const part = checkExportPart(options.part ?? 'all');
  // An explicit graph of parts (a classifier head, a conditional VAE) wires more than the
  // encoder -> decoder chain this export writes: refuse it rather than drop its edges.
  if (model.architecture.graph) {
    throw new UnsupportedError(`export: the model's architecture has a graph of parts (${Object.keys(model.architecture.parts).join(', ')}); export writes the default encoder -> decoder chain only`);
  }
  const vae = model.kind === 'vae';
  const chains: ExportChain[] = [];
  let input: { name: string; shape: Shape };
  let outputs: { name: string; shape: Shape }[];
  if (part === 'decoder') {
    input = { name: 'code', shape: [...model.codeShape] };
    chains.push(buildChain(model, 'decoder', 'code', 'reconstruction', input.shape));
  } else {
    input = { name: 'input', shape: [...model.inputShape] };
    const enc = buildChain(model, 'encoder', 'input', vae ? 'encoder_output' : 'code', input.shape);
    chains.push(enc);
    if (vae) chains.push(buildChain(model, 'z_mean', enc.output, 'z_mean', enc.outShape));
    if (vae && part === 'encoder') chains.push(buildChain(model, 'z_log_var', enc.output, 'z_log_var', enc.outShape));
    if (part === 'all') chains.push(buildChain(model, 'decoder', chains[chains.length - 1]!.output, 'reconstruction', chains[chains.length - 1]!.outShape));
  }
  if (part === 'encoder') outputs = chains.filter((c) => c.part !== 'encoder' || !vae).map((c) => ({ name: c.output, shape: c.outShape }));
  else outputs = [{ name: 'reconstruction', shape: chains[chains.length - 1]!.outShape }];
  return { part, kind: model.kind, input, outputs, chains, metadata: exportMetadata(model, part) };
}

/**
 * The exported graph takes and returns values in the model's own space, as `encode`,
 * `decode` and `reconstruct` do; the data's preprocessing travels as metadata:
 * `ae-wasm.preprocessing` is the model file's record plus, for minmax and standard, the
 * per-feature `offset` and `divisor` (x_model = (x - offset) / divisor; outputs back with
 * x = y * divisor + offset), so a consumer needs no safetensors reader.
 */
function exportMetadata(model: Autoencoder, part: ExportPart): Record<string, string> {
  const meta: Record<string, string> = {
    'ae-wasm.kind': model.kind,
    'ae-wasm.part': part,
    'ae-wasm.architecture': JSON.stringify(model.architecture),
  };
  if (model.training?.preset) meta['ae-wasm.preset'] = model.training.preset;
  const norm = model.preprocessing;
  if (norm) {
    const record = JSON.parse(preprocessingMetadata(norm)) as Record<string, unknown>;
    if (norm.kind === 'minmax' || norm.kind === 'standard') {
      // As applyNormalization: float64 differences of the stored float32 statistics.
      const lo = norm.min;
      record['offset'] = Array.from(lo ?? norm.mean!);
      record['divisor'] = lo ? Array.from(norm.max!, (hi, i) => (hi === lo[i] ? 1 : hi - lo[i]!)) : Array.from(norm.std!);
    }
    meta['ae-wasm.preprocessing'] = JSON.stringify(record);
  }
  return meta;
}
