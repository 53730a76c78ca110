// Layer classes by Keras class name: the one place that turns a spec into a layer.

import { ArgumentError } from '../errors.js';
import type { Layer, LayerSpec } from './layer.js';
import { Activation, ELU, LeakyReLU } from './layers/activation.js';
import { BatchNormalization } from './layers/batch-norm.js';
import { Conv2D, Conv2DTranspose } from './layers/conv2d.js';
import { Dense } from './layers/dense.js';
import { Dropout, SpatialDropout2D } from './layers/dropout.js';
import { GaussianNoise } from './layers/noise.js';
import { MaxPooling2D, UpSampling2D } from './layers/pooling.js';
import { Flatten, Reshape } from './layers/reshape.js';

type LayerClass = new (config: Record<string, unknown>, where: string) => Layer;

export const LAYER_CLASSES: Readonly<Record<string, LayerClass>> = {
  Dense,
  Conv2D,
  Conv2DTranspose,
  MaxPooling2D,
  UpSampling2D,
  Flatten,
  Reshape,
  Activation,
  LeakyReLU,
  GaussianNoise,
  ELU,
  BatchNormalization,
  Dropout,
  SpatialDropout2D,
};

export function createLayer(spec: LayerSpec, where: string): Layer {
  if (typeof spec !== 'object' || spec === null || typeof spec.class_name !== 'string') {
    throw new ArgumentError(`${where}: a layer must be {"class_name": ..., "config": {...}}, got ${JSON.stringify(spec)}`);
  }
  // Own properties only: "toString" or "constructor" must not find Object.prototype's.
  const cls = Object.hasOwn(LAYER_CLASSES, spec.class_name) ? LAYER_CLASSES[spec.class_name] : undefined;
  if (!cls) {
    throw new ArgumentError(`${where}: unknown layer class ${JSON.stringify(spec.class_name)}; supported: ${Object.keys(LAYER_CLASSES).join(', ')}`);
  }
  const config = spec.config ?? {};
  if (typeof config !== 'object' || Array.isArray(config)) throw new ArgumentError(`${where}: config must be an object`);
  return new cls(config, `${where} (${spec.class_name})`);
}
