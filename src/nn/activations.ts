// Keras activation names and the kernel ABI's activation codes.

import { ArgumentError } from '../errors.js';
import { Act, type ActCode } from '../kernels/kernels.js';

export type ActivationName = 'linear' | 'relu' | 'leaky_relu' | 'sigmoid' | 'tanh' | 'exponential';

const CODES: Record<ActivationName, ActCode> = {
  linear: Act.linear,
  relu: Act.relu,
  leaky_relu: Act.leakyRelu,
  sigmoid: Act.sigmoid,
  tanh: Act.tanh,
  exponential: Act.exp,
};

export const ACTIVATION_NAMES = Object.keys(CODES) as ActivationName[];

/** Slope of the `leaky_relu` activation string (keras.activations.leaky_relu default). */
export const LEAKY_RELU_ACTIVATION_SLOPE = 0.2;
/** Default slope of Keras' LeakyReLU layer. */
export const LEAKY_RELU_LAYER_DEFAULT_ALPHA = 0.3;

export function activationCode(name: unknown, where: string): ActCode {
  if (name === undefined || name === null) return Act.linear;
  // Own properties only: `in` would accept "constructor" or "toString" from Object.prototype.
  if (typeof name !== 'string' || !Object.hasOwn(CODES, name)) {
    throw new ArgumentError(`${where}: unknown activation ${JSON.stringify(name)}; expected one of ${ACTIVATION_NAMES.join(', ')}`);
  }
  return CODES[name as ActivationName];
}
