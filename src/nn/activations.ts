// Keras activation names and the kernel ABI's activation codes.

import { ArgumentError } from '../errors.js';
import { Act, type ActCode } from '../kernels/kernels.js';

export type ActivationName =
  | 'linear' | 'relu' | 'leaky_relu' | 'sigmoid' | 'tanh' | 'exponential'
  | 'elu' | 'selu' | 'gelu' | 'gelu_approximate' | 'softplus' | 'silu' | 'swish';

const CODES: Record<ActivationName, ActCode> = {
  linear: Act.linear,
  relu: Act.relu,
  leaky_relu: Act.leakyRelu,
  sigmoid: Act.sigmoid,
  tanh: Act.tanh,
  exponential: Act.exp,
  elu: Act.elu,
  selu: Act.selu,
  // keras.activations.gelu's default is approximate=False: the string "gelu" is exact.
  gelu: Act.gelu,
  // Keras has no string for gelu(x, approximate=True); this name is ours (in Keras,
  // register a function of that name as a custom object to load such a file).
  gelu_approximate: Act.geluTanh,
  softplus: Act.softplus,
  // Keras registers silu and its alias swish for the same function.
  silu: Act.silu,
  swish: Act.silu,
};

export const ACTIVATION_NAMES = Object.keys(CODES) as ActivationName[];

/** Slope of the `leaky_relu` activation string (keras.activations.leaky_relu default). */
export const LEAKY_RELU_ACTIVATION_SLOPE = 0.2;
/** Default slope of Keras' LeakyReLU layer. */
export const LEAKY_RELU_LAYER_DEFAULT_ALPHA = 0.3;
/** alpha of the `elu` activation string and default of Keras' ELU layer (keras.activations.elu). */
export const ELU_DEFAULT_ALPHA = 1.0;

export function activationCode(name: unknown, where: string): ActCode {
  if (name === undefined || name === null) return Act.linear;
  // Own properties only: `in` would accept "constructor" or "toString" from Object.prototype.
  if (typeof name !== 'string' || !Object.hasOwn(CODES, name)) {
    throw new ArgumentError(`${where}: unknown activation ${JSON.stringify(name)}; expected one of ${ACTIVATION_NAMES.join(', ')}`);
  }
  return CODES[name as ActivationName];
}

/** The kernels' alpha argument for an activation given by its string (Keras' defaults). */
export function activationAlpha(code: number): number {
  if (code === Act.leakyRelu) return LEAKY_RELU_ACTIVATION_SLOPE;
  if (code === Act.elu) return ELU_DEFAULT_ALPHA;
  return 0;
}
