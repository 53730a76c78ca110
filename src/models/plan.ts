// The dry run of building a model: every layer constructed and shaped, every parameter
// named and shaped, nothing allocated, each size checked against the limits on the way.
// Model files are checked against this plan (tensor names, shapes, counts) before the
// real model is built, and the Autoencoder constructor runs it before it allocates.

import { ShapeError } from '../errors.js';
import { Chain } from '../nn/chain.js';
import type { Layer, Param, ParamSpec } from '../nn/layer.js';
import { Conv2D } from '../nn/layers/conv2d.js';
import { Dense } from '../nn/layers/dense.js';
import { MaxPooling2D, UpSampling2D } from '../nn/layers/pooling.js';
import type { ParamStore } from '../nn/params.js';
import { formatShape, sizeOf, type Shape } from '../nn/tensor.js';
import { architectureGraph, partNames, type Architecture, type PartName } from './architecture.js';
import { walkGraph } from './graph-shapes.js';
import { topology } from './graph-topology.js';
import { resolveLimits, type ModelLimits } from './limits.js';

export interface PlannedParam {
  name: string;
  shape: number[];
  /** False for non-trainable state (moving statistics): saved, but no optimizer slots. */
  trainable: boolean;
}

/** One layer of the dry run: its output shape for the architecture's input shape. */
export interface PlannedLayer {
  part: PartName;
  /** Index within its part, as in the tensor names. */
  index: number;
  className: string;
  outputShape: Shape;
  /** Parameter values the layer holds. */
  params: number;
  /** Of those, non-trainable state (moving statistics). */
  nonTrainable: number;
}

export interface ModelPlan {
  params: PlannedParam[];
  /** Every layer in build order (the graph's forward order: encoder, z_mean, z_log_var, decoder by default). */
  layers: PlannedLayer[];
  /** The code (the encoder's output, or z_mean) and the output (the decoder's), per sample. */
  codeShape: Shape;
  outputShape: Shape;
  /** Every part's output shape (and "input", "label", the derived edges), per sample. */
  shapes: Map<string, Shape>;
  /** Parameter values in total. */
  paramCount: number;
  /** Values of one sample over every layer output. */
  activationValues: number;
}

/** Plans `arch` (already structurally valid) against `limits`; a ShapeError names the layer and the value. */
export function planArchitecture(arch: Architecture, limits: Partial<ModelLimits> = {}): ModelPlan {
  const max = resolveLimits(limits);
  const params: PlannedParam[] = [];
  const layers: PlannedLayer[] = [];
  let paramCount = 0;
  // Stands in for the ParamStore: records names and shapes, allocates nothing.
  const recorder = {
    add(name: string, spec: ParamSpec): Param {
      const size = sizeOf(spec.shape);
      paramCount += size;
      if (paramCount > max.maxParams) {
        throw new ShapeError(`parameter ${name} ${formatShape(spec.shape)} brings the model to ${paramCount} parameter values, over the limit of ${max.maxParams} (maxParams)`);
      }
      const trainable = spec.trainable ?? true;
      params.push({ name, shape: [...spec.shape], trainable });
      return { name, shape: spec.shape, size, trainable } as Param;
    },
  } as unknown as ParamStore;

  const input = arch.input_shape;
  if (sizeOf(input) > max.maxValuesPerLayer) {
    throw new ShapeError(`input_shape ${formatShape(input)} has ${sizeOf(input)} values per sample, over the limit of ${max.maxValuesPerLayer} (maxValuesPerLayer)`);
  }
  const names = partNames(arch);
  if (names.length > max.maxParts) throw new ShapeError(`the graph has ${names.length} parts, over the limit of ${max.maxParts} (maxParts)`);
  let activationValues = 0;
  const build = (part: PartName, from: Shape): Shape => {
    const specs = arch.parts[part]!;
    if (specs.length > max.maxLayersPerPart) {
      throw new ShapeError(`part ${part} has ${specs.length} layers, over the limit of ${max.maxLayersPerPart} (maxLayersPerPart)`);
    }
    const chain = new Chain(part, specs);
    chain.layers.forEach((layer, i) => checkConfig(layer, `${part} layer ${i} (${layer.className})`, max));
    const out = chain.build(from, recorder);
    chain.layers.forEach((layer, i) => {
      const values = sizeOf(layer.outShape);
      if (values > max.maxValuesPerLayer) {
        throw new ShapeError(`${part} layer ${i} (${layer.className}) outputs ${formatShape(layer.outShape)}, ${values} values per sample, over the limit of ${max.maxValuesPerLayer} (maxValuesPerLayer)`);
      }
      activationValues += values;
      layers.push({ part, index: i, className: layer.className, outputShape: layer.outShape, params: layer.params.reduce((s, p) => s + p.size, 0),
        nonTrainable: layer.params.reduce((s, p) => s + (p.trainable ? 0 : p.size), 0),
      });
      if (activationValues > max.maxActivationValues) {
        throw new ShapeError(`${part} layer ${i} (${layer.className}) brings the plan to ${activationValues} values per sample, over the limit of ${max.maxActivationValues} (maxActivationValues)`);
      }
    });
    return out;
  };
  // The order the Autoencoder builds in, so parameter names and shapes match it.
  const g = architectureGraph(arch);
  // A concatenation or a sampling is a buffer too (a concatenation of large sources a large one).
  const derived = (node: string, shape: Shape) => {
    const values = sizeOf(shape) * (node.startsWith('sample(') ? 2 : 1);
    if (sizeOf(shape) > max.maxValuesPerLayer) {
      throw new ShapeError(`graph edge ${node} outputs ${formatShape(shape)}, ${sizeOf(shape)} values per sample, over the limit of ${max.maxValuesPerLayer} (maxValuesPerLayer)`);
    }
    activationValues += values;
    if (activationValues > max.maxActivationValues) {
      throw new ShapeError(`graph edge ${node} brings the plan to ${activationValues} values per sample, over the limit of ${max.maxActivationValues} (maxActivationValues)`);
    }
  };
  const shapes = walkGraph(g, topology(names, g), input, build, arch.graph !== undefined, derived);
  return { params, layers, codeShape: shapes.get(g.code)!, outputShape: shapes.get(g.output)!, shapes, paramCount, activationValues };
}

/** The sizes a layer's config sets directly, checked before any shape is computed from them. */
function checkConfig(layer: Layer, where: string, max: ModelLimits): void {
  const over = (what: string, value: number, limit: number, key: keyof ModelLimits) => {
    if (value > limit) throw new ShapeError(`${where}: ${what} ${value} is over the limit of ${limit} (${key})`);
  };
  if (layer instanceof Dense) over('units', layer.units, max.maxUnits, 'maxUnits');
  if (layer instanceof Conv2D) {
    over('filters', layer.filters, max.maxUnits, 'maxUnits');
    for (const d of layer.kernelSize) over('kernel_size', d, max.maxWindow, 'maxWindow');
    for (const d of layer.strides) over('strides', d, max.maxWindow, 'maxWindow');
  }
  if (layer instanceof MaxPooling2D) {
    for (const d of layer.poolSize) over('pool_size', d, max.maxWindow, 'maxWindow');
    for (const d of layer.strides) over('strides', d, max.maxWindow, 'maxWindow');
  }
  if (layer instanceof UpSampling2D) for (const d of layer.size) over('size', d, max.maxUpsample, 'maxUpsample');
}
