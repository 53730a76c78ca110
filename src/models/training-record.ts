// Validation of a model file's training record, checkpoint state included: every field
// the trainer, the optimizer or a resumed run reads is checked for type, range and
// integer-ness here, where the file is decoded, so nothing downstream meets a string
// learning rate, a history that is not a list or a step outside the data.

import { FormatError } from '../errors.js';
import { describe } from '../io/safetensors.js';
import type { TrainingRecord } from './model-file.js';

type Fail = (field: string, expected: string, found: unknown) => never;

interface Range {
  min?: number;
  /** Exclusive upper bound. */
  below?: number;
  /** Whether `min` itself is allowed (default yes). */
  minIncluded?: boolean;
  integer?: boolean;
}

const COUNT: Range = { min: 0, integer: true };
const NON_NEGATIVE: Range = { min: 0 };
/** RNG stream keys are 32-bit. */
const KEY: Range = { min: 0, below: 2 ** 32, integer: true };

/** Keras' optimizer argument for clipping the gradients' global L2 norm (--clip-norm): optional, any optimizer. */
const GLOBAL_CLIPNORM: Range = { min: 0, minIncluded: false };

/** A data set has at most 64 classes (MAX_CLASSES in src/data/dataset.ts, which models/ may not import). */
const MAX_NORMAL_LABELS = 64;

/** Optimizer hyper-parameters by optimizer name, with the ranges the optimizers accept. */
const OPTIMIZER_FIELDS: Readonly<Record<string, Readonly<Record<string, Range>>>> = {
  adam: {
    learning_rate: { min: 0, minIncluded: false },
    beta_1: { min: 0, below: 1 },
    beta_2: { min: 0, below: 1 },
    epsilon: { min: 0, minIncluded: false },
    global_clipnorm: GLOBAL_CLIPNORM,
  },
  sgd: {
    learning_rate: { min: 0, minIncluded: false },
    momentum: { min: 0, below: 1 },
    global_clipnorm: GLOBAL_CLIPNORM,
  },
};

/** The kinds of denoising input noise (src/train/noise.ts), as `training.noise_kind` records them. */
export const NOISE_KINDS = ['gaussian', 'salt-pepper', 'mask'] as const;
export type NoiseKind = (typeof NOISE_KINDS)[number];

/** Whether `kind` names a noise kind (own names only: "constructor" is none). */
export function isNoiseKind(kind: unknown): kind is NoiseKind {
  return typeof kind === 'string' && (NOISE_KINDS as readonly string[]).includes(kind);
}

/** Checks `value` as a training record; `source` names the file in errors. */
export function validateTrainingRecord(value: unknown, source: string): TrainingRecord {
  const fail: Fail = (field, expected, found) => {
    throw new FormatError(`${source}: training record${field ? ` ${field}` : ''} must be ${expected}, got ${describe(found)}`);
  };
  const t = object(value, '', fail);
  if (t['loss'] !== 'mse' && t['loss'] !== 'bce') fail('loss', '"mse" or "bce"', t['loss']);
  for (const key of ['noise', 'l1', 'beta', 'seed']) number(t, key, NON_NEGATIVE, fail, key);
  // Absent in files from before the noise kinds: Gaussian. Salt-pepper and mask levels are probabilities.
  const kind = own(t, 'noise_kind');
  if (kind !== undefined && !isNoiseKind(kind)) fail('noise_kind', `one of ${NOISE_KINDS.map((k) => `"${k}"`).join(', ')}`, kind);
  if (kind !== undefined && kind !== 'gaussian' && (t['noise'] as number) > 1) fail('noise', `at most 1 (the share of values ${kind} noise replaces)`, t['noise']);
  optional(t, 'batch_size', { min: 1, integer: true }, fail);
  // 0 epochs: a model saved before any training.
  optional(t, 'epochs', COUNT, fail);
  optional(t, 'patience', { min: 1, integer: true }, fail);
  optional(t, 'validation_split', { min: 0, below: 1 }, fail);
  // The data split a run used, reused by the other commands on the same source.
  optional(t, 'test_split', { min: 0, below: 1 }, fail);
  // Greedy pre-training before the run (train --pretrain greedy): its epochs per layer.
  if (own(t, 'pretrain') !== undefined && t['pretrain'] !== 'greedy') fail('pretrain', '"greedy"', t['pretrain']);
  optional(t, 'pretrain_epochs', { min: 1, integer: true }, fail);
  for (const key of ['preset', 'data', 'arch', 'label_column']) {
    if (own(t, key) !== undefined && typeof t[key] !== 'string') fail(key, 'a string', t[key]);
  }
  // train --normal-labels: the classes it trained on, by label name or value (anomaly reads them).
  const normal = own(t, 'normal_labels');
  if (normal !== undefined && !(Array.isArray(normal) && normal.length >= 1 && normal.length <= MAX_NORMAL_LABELS && normal.every((l) => typeof l === 'string' && l.length >= 1 && l.length <= 1024))) {
    fail('normal_labels', `a list of 1 to ${MAX_NORMAL_LABELS} label names (strings of 1 to 1024 characters)`, normal);
  }
  validateOptimizer(own(t, 'optimizer'), fail);
  const checkpoint = own(t, 'checkpoint');
  if (checkpoint !== undefined) validateCheckpoint(checkpoint, fail);
  return value as TrainingRecord;
}

function validateOptimizer(value: unknown, fail: Fail): void {
  const o = object(value, 'optimizer', fail);
  const name = o['name'];
  if (typeof name !== 'string' || !Object.hasOwn(OPTIMIZER_FIELDS, name)) {
    fail('optimizer.name', `one of ${Object.keys(OPTIMIZER_FIELDS).map((n) => `"${n}"`).join(', ')}`, name);
  }
  const fields = OPTIMIZER_FIELDS[name as string]!;
  for (const key of Object.keys(o)) {
    if (key === 'name') continue;
    if (!Object.hasOwn(fields, key)) fail(`optimizer.${key}`, `absent (${name} takes ${Object.keys(fields).join(', ')})`, o[key]);
    number(o, key, fields[key]!, fail, `optimizer.${key}`);
  }
}

function validateCheckpoint(value: unknown, fail: Fail): void {
  const c = object(value, 'checkpoint', fail);
  const epoch = number(c, 'epoch', COUNT, fail, 'checkpoint.epoch');
  const step = number(c, 'step', COUNT, fail, 'checkpoint.step');
  const rng = object(own(c, 'rng'), 'checkpoint.rng', fail);
  for (const stream of ['shuffle', 'noise']) {
    const s = object(own(rng, stream), `checkpoint.rng.${stream}`, fail);
    number(s, 'key', KEY, fail, `checkpoint.rng.${stream}.key`);
    number(s, 'counter', COUNT, fail, `checkpoint.rng.${stream}.counter`);
  }
  optional(c, 'best_val_loss', {}, fail, 'checkpoint.best_val_loss');
  optional(c, 'best_epoch', { min: 0, integer: true }, fail, 'checkpoint.best_epoch');
  optional(c, 'epochs_without_improvement', COUNT, fail, 'checkpoint.epochs_without_improvement');
  const partial = own(c, 'partial');
  if (partial !== undefined) {
    const p = object(partial, 'checkpoint.partial', fail);
    // Every step of the current epoch is also an optimizer step, so step bounds it.
    number(p, 'step_in_epoch', { min: 0, integer: true, below: step + 1 }, fail, 'checkpoint.partial.step_in_epoch');
    number(p, 'epoch_shuffle_counter', COUNT, fail, 'checkpoint.partial.epoch_shuffle_counter');
    number(p, 'loss_sum', {}, fail, 'checkpoint.partial.loss_sum');
    number(p, 'seen', COUNT, fail, 'checkpoint.partial.seen');
    number(p, 'seconds', NON_NEGATIVE, fail, 'checkpoint.partial.seconds');
  }
  const history = own(c, 'history');
  if (history !== undefined) {
    if (!Array.isArray(history)) return fail('checkpoint.history', 'a list of epoch records', history);
    if (history.length > epoch) fail('checkpoint.history', `at most ${epoch} entries (one per epoch completed)`, `${history.length} entries`);
    history.forEach((entry, i) => {
      const where = `checkpoint.history[${i}]`;
      const e = object(entry, where, fail);
      number(e, 'epoch', { min: 1, integer: true }, fail, `${where}.epoch`);
      for (const key of Object.keys(e)) {
        // A diverged epoch's metrics are NaN, which JSON writes as null.
        if (e[key] !== null && (typeof e[key] !== 'number' || !Number.isFinite(e[key]))) fail(`${where}.${key}`, 'a finite number or null', e[key]);
      }
    });
  }
}

function own(o: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function object(value: unknown, field: string, fail: Fail): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(field, field ? 'an object' : 'a JSON object', value);
  return value as Record<string, unknown>;
}

function number(o: Record<string, unknown>, key: string, range: Range, fail: Fail, field = key): number {
  const v = own(o, key);
  if (typeof v !== 'number' || !Number.isFinite(v) || (range.integer && !Number.isSafeInteger(v)) || !inRange(v, range)) {
    return fail(field, rangeText(range), v);
  }
  return v;
}

function optional(o: Record<string, unknown>, key: string, range: Range, fail: Fail, field = key): void {
  if (own(o, key) !== undefined) number(o, key, range, fail, field);
}

function inRange(v: number, r: Range): boolean {
  if (r.min !== undefined && (r.minIncluded === false ? v <= r.min : v < r.min)) return false;
  return r.below === undefined || v < r.below;
}

function rangeText(r: Range): string {
  if (r.min === 0 && r.minIncluded !== false && r.below === undefined) return `a non-negative ${r.integer ? 'integer' : 'number'}`;
  const parts = [r.integer ? 'an integer' : 'a finite number'];
  if (r.min !== undefined) parts.push(`${r.minIncluded === false ? '>' : '>='} ${r.min}`);
  if (r.below !== undefined) parts.push(`< ${r.below}`);
  return parts.join(' ');
}
