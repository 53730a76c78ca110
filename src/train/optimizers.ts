// Optimizers as tf.keras computes them. Each declares the per-parameter state slots it
// needs; the model's parameter store reserves them (so nn/ never imports train/).

import { ArgumentError } from '../errors.js';
import { checkOptionKeys, optionKeys } from '../options.js';
import type { Kernels } from '../kernels/kernels.js';
import type { Param } from '../nn/layer.js';

export interface Optimizer {
  readonly name: 'adam' | 'sgd';
  /** State slots per parameter, e.g. ["m", "v"]. */
  readonly slots: readonly string[];
  /** Updates taken so far (Keras' `iterations`). */
  iterations: number;
  learningRate: number;
  step(kernels: Kernels, params: readonly Param[]): void;
  /** Hyper-parameters for the model file's `training` record. */
  config(): Record<string, number | string>;
}

export interface AdamOptions {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

const ADAM_KEYS = optionKeys<AdamOptions>()('learningRate', 'beta1', 'beta2', 'epsilon');
/** Keras' and PyTorch's short name. */
const LR_ALIAS = { lr: 'did you mean "learningRate"?' };

export class Adam implements Optimizer {
  readonly name = 'adam' as const;
  readonly slots = ['m', 'v'] as const;
  iterations = 0;
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(o: AdamOptions = {}) {
    checkOptionKeys(o, ADAM_KEYS, 'new Adam(options)', LR_ALIAS);
    this.learningRate = checkRange('learning rate', o.learningRate ?? 1e-3, 0, Infinity, false);
    this.beta1 = checkRange('beta1', o.beta1 ?? 0.9, 0, 1, true);
    this.beta2 = checkRange('beta2', o.beta2 ?? 0.999, 0, 1, true);
    this.epsilon = checkRange('epsilon', o.epsilon ?? 1e-7, 0, Infinity, false);
  }

  step(kernels: Kernels, params: readonly Param[]): void {
    this.iterations++;
    const t = this.iterations;
    // Bias correction folded into the step size, as tf.keras does.
    const lrT = (this.learningRate * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
    for (const p of params) {
      kernels.adamStep(p.value, p.grad, p.slots.get('m')!, p.slots.get('v')!, p.size, lrT, this.beta1, this.beta2, this.epsilon);
    }
  }

  config(): Record<string, number | string> {
    return { name: this.name, learning_rate: this.learningRate, beta_1: this.beta1, beta_2: this.beta2, epsilon: this.epsilon };
  }
}

export interface SgdOptions {
  learningRate?: number;
  momentum?: number;
}

const SGD_KEYS = optionKeys<SgdOptions>()('learningRate', 'momentum');

export class SGD implements Optimizer {
  readonly name = 'sgd' as const;
  readonly slots: readonly string[];
  iterations = 0;
  learningRate: number;
  readonly momentum: number;

  constructor(o: SgdOptions = {}) {
    checkOptionKeys(o, SGD_KEYS, 'new SGD(options)', LR_ALIAS);
    this.learningRate = checkRange('learning rate', o.learningRate ?? 0.01, 0, Infinity, false);
    this.momentum = checkRange('momentum', o.momentum ?? 0, 0, 1, true);
    this.slots = this.momentum > 0 ? ['velocity'] : [];
  }

  step(kernels: Kernels, params: readonly Param[]): void {
    this.iterations++;
    for (const p of params) {
      kernels.sgdStep(p.value, p.grad, this.momentum > 0 ? p.slots.get('velocity')! : p.grad, p.size, this.learningRate, this.momentum);
    }
  }

  config(): Record<string, number | string> {
    return { name: this.name, learning_rate: this.learningRate, momentum: this.momentum };
  }
}

/**
 * Clips the global L2 norm of every parameter's gradient to `maxNorm` before an update,
 * as Keras' `global_clipnorm` (tf.clip_by_global_norm) and PyTorch's clip_grad_norm_: when
 * the norm exceeds maxNorm, every gradient is scaled by maxNorm / norm (one direction,
 * shorter); otherwise nothing changes. Returns the norm before clipping; a non-finite norm
 * (some gradient element NaN or infinite — sumSquares is finite exactly when its elements
 * are) leaves the gradients as they are, for the caller to stop on.
 */
export function clipGlobalNorm(kernels: Kernels, params: readonly Param[], maxNorm: number): number {
  let total = 0;
  for (const p of params) total += kernels.sumSquares(p.grad, p.size);
  const norm = Math.sqrt(total);
  if (Number.isFinite(norm) && norm > maxNorm) {
    const s = maxNorm / norm;
    for (const p of params) kernels.scale(p.grad, s, p.grad, p.size);
  }
  return norm;
}

/** min < v (or min <= v when inclusive), and v < max for bounded ranges. */
function checkRange(what: string, v: number, min: number, max: number, includeMin: boolean): number {
  const ok = Number.isFinite(v) && (includeMin ? v >= min : v > min) && (max === Infinity || v < max);
  if (!ok) throw new ArgumentError(`${what} must be ${includeMin ? '>=' : '>'} ${min}${max === Infinity ? '' : ` and < ${max}`}, got ${v}`);
  return v;
}

export function createOptimizer(name: string, o: { learningRate?: number; momentum?: number }): Optimizer {
  checkOptionKeys(o, SGD_KEYS, 'createOptimizer(name, options)', LR_ALIAS);
  if (name === 'adam') {
    if (o.momentum !== undefined) throw new ArgumentError('momentum goes with the sgd optimizer, not adam');
    return new Adam({ learningRate: o.learningRate });
  }
  if (name === 'sgd') return new SGD(o);
  throw new ArgumentError(`unknown optimizer ${JSON.stringify(name)}; expected adam or sgd`);
}
