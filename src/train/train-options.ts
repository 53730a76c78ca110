// The training options' ranges and defaults, checked in one place: train() checks what a
// library caller passes, and `ae-wasm train` checks its flags with the same function
// (naming the flags), so the command and the library accept exactly the same runs.

import { ArgumentError } from '../errors.js';
import { checkOptionKeys, optionKeys } from '../options.js';
import { checkNoise, type NoiseKind } from './noise.js';
import type { Callbacks, TrainOptions } from './trainer.js';

export const TRAIN_DEFAULTS = { epochs: 10, batchSize: 32, seed: 0 } as const;

/** The options with a numeric range. */
export type RangedOption = 'epochs' | 'batchSize' | 'seed' | 'noise' | 'l1' | 'beta' | 'validationSplit' | 'patience' | 'clipNorm';

interface Range {
  integer: boolean;
  min: number;
  max: number;
  maxInclusive: boolean;
  minExclusive?: boolean;
}

const int = (min: number, max: number): Range => ({ integer: true, min, max, maxInclusive: true });
const real = (min: number, max: number, maxInclusive = true): Range => ({ integer: false, min, max, maxInclusive });

const RANGES: Record<RangedOption, Range> = {
  epochs: int(1, 100000),
  batchSize: int(1, 65536),
  // Streams are keyed by the seed as a uint32: a larger seed would alias a smaller one.
  seed: int(0, 2 ** 32 - 1),
  noise: real(0, 10),
  l1: real(0, 1e6),
  beta: real(0, 1e6),
  // The held-out fraction: a split of 1 would leave nothing to train on.
  validationSplit: real(0, 1, false),
  patience: int(1, 100000),
  // A global gradient norm of 0 would zero every update; any positive finite bound is a choice.
  clipNorm: { integer: false, min: 0, minExclusive: true, max: Infinity, maxInclusive: false },
};

/** How errors name each option: the library's words, or the command's flags. */
export type OptionNames = Record<RangedOption, string>;

export const LIBRARY_OPTION_NAMES: OptionNames = {
  epochs: 'epochs',
  batchSize: 'batch size',
  seed: 'seed',
  noise: 'noise',
  l1: 'l1',
  beta: 'beta',
  validationSplit: 'validation split',
  patience: 'patience',
  clipNorm: 'clip norm',
};

/** TrainOptions with every ranged option checked and its default filled in. */
export interface ResolvedTrainOptions extends Omit<TrainOptions, RangedOption | 'evaluateTest' | 'progressIntervalMs'> {
  epochs: number;
  batchSize: number;
  seed: number;
  noise: number;
  noiseKind: NoiseKind;
  l1: number;
  beta: number;
  validationSplit: number;
  /** Undefined: no early stopping. */
  patience: number | undefined;
  /** Undefined: no gradient clipping. */
  clipNorm: number | undefined;
  evaluateTest: boolean;
  progressIntervalMs: number;
}

function check(option: RangedOption, v: number, names: OptionNames): number {
  const r = RANGES[option];
  const name = names[option];
  if (r.integer) {
    if (!Number.isInteger(v) || v < r.min) throw new ArgumentError(`${name} must be an integer >= ${r.min}, got ${v}`);
    if (v > r.max) throw new ArgumentError(`${name} must be an integer <= ${r.max}, got ${v}`);
  } else if (!Number.isFinite(v) || (r.minExclusive ? v <= r.min : v < r.min) || (r.maxInclusive ? v > r.max : v >= r.max)) {
    if (r.max === Infinity) throw new ArgumentError(`${name} must be a finite number ${r.minExclusive ? '>' : '>='} ${r.min}, got ${v}`);
    throw new ArgumentError(`${name} must be in ${r.minExclusive ? '(' : '['}${r.min}, ${r.max}${r.maxInclusive ? ']' : ')'}, got ${v}`);
  }
  return v;
}

/** Every key of TrainOptions: train() refuses others. */
export const TRAIN_OPTION_KEYS = optionKeys<TrainOptions>()(
  'epochs', 'batchSize', 'optimizer', 'loss', 'seed', 'noise', 'noiseKind', 'l1', 'beta', 'validationSplit', 'patience', 'clipNorm',
  'evaluateTest', 'callbacks', 'progressIntervalMs', 'resume', 'resumeSource', 'signal', 'maxMemory', 'dataInHeap',
);

const CALLBACK_KEYS = optionKeys<Callbacks>()('onTrainBegin', 'onBatchEnd', 'onEpochEnd');
const TO_OPTIMIZER = 'optimizer settings go in the optimizer: optimizer: new Adam({ learningRate, beta1, beta2, epsilon }) or new SGD({ learningRate, momentum }).';
/** Keys people carry over from Keras' and PyTorch's optimizers, by folded name. */
export const OPTIMIZER_HINTS = Object.fromEntries(['lr', 'learningrate', 'beta1', 'beta2', 'epsilon', 'momentum'].map((k) => [k, TO_OPTIMIZER]));

/** What a value that should be an Optimizer is, for an error message. */
function describeValue(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v.slice(0, 32))} (Keras' optimizer="adam" is new Adam() here)`;
  if (typeof v === 'function') return 'a function (pretrainGreedy takes a factory; train takes the optimizer itself)';
  if (v === null || typeof v !== 'object') return String(v);
  const keys = Object.keys(v).slice(0, 6).map((k) => k.slice(0, 32));
  return keys.length ? `an object with keys ${keys.join(', ')}` : 'an empty object';
}

/** An Adam or SGD (or any object that steps and describes itself as one), else an ArgumentError. */
function checkOptimizer(v: unknown, where: string): void {
  const o = v as Partial<Record<'step' | 'config' | 'slots' | 'learningRate' | 'name', unknown>> | null;
  const ok = typeof o === 'object' && o !== null && typeof o.step === 'function' && typeof o.config === 'function' && Array.isArray(o.slots) && typeof o.learningRate === 'number' && (o.name === 'adam' || o.name === 'sgd');
  if (!ok) throw new ArgumentError(`${where} must be an optimizer such as new Adam({ learningRate: 1e-3 }) or new SGD({ learningRate: 0.01, momentum: 0.9 }); got ${describeValue(v)}`);
}

/** Checks `options` (ArgumentError naming the option by `names`) and fills in the defaults. */
export function validateTrainOptions(options: TrainOptions, names: OptionNames = LIBRARY_OPTION_NAMES): ResolvedTrainOptions {
  checkOptionKeys(options, TRAIN_OPTION_KEYS, 'train(model, splits, options)', OPTIMIZER_HINTS);
  // Before anything touches it: a wrong value once had its `iterations` set, then crashed.
  if (options.optimizer != null) checkOptimizer(options.optimizer, 'train(model, splits, options): optimizer');
  const cb: unknown = options.callbacks;
  // A plain object's keys are all callbacks; a class instance may keep state of its own.
  if (cb !== null && typeof cb === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(cb))) {
    checkOptionKeys(cb, CALLBACK_KEYS, 'train(model, splits, options): callbacks');
  }
  const resolved: ResolvedTrainOptions = {
    ...options,
    epochs: check('epochs', options.epochs ?? TRAIN_DEFAULTS.epochs, names),
    batchSize: check('batchSize', options.batchSize ?? TRAIN_DEFAULTS.batchSize, names),
    seed: check('seed', options.seed ?? TRAIN_DEFAULTS.seed, names),
    noise: check('noise', options.noise ?? 0, names),
    l1: check('l1', options.l1 ?? 0, names),
    beta: check('beta', options.beta ?? 1, names),
    validationSplit: check('validationSplit', options.validationSplit ?? 0, names),
    patience: options.patience === undefined ? undefined : check('patience', options.patience, names),
    clipNorm: options.clipNorm === undefined ? undefined : check('clipNorm', options.clipNorm, names),
    noiseKind: 'gaussian',
    evaluateTest: options.evaluateTest ?? true,
    progressIntervalMs: options.progressIntervalMs ?? 100,
  };
  const kindName = names.noise.startsWith('--') ? '--noise-kind' : 'noise kind';
  resolved.noiseKind = checkNoise(options.noiseKind ?? 'gaussian', resolved.noise, { kind: kindName, level: names.noise });
  if (resolved.patience !== undefined && resolved.validationSplit === 0) {
    throw new ArgumentError(`early stopping (${names.patience}) needs a validation split (${names.validationSplit} > 0)`);
  }
  return resolved;
}
