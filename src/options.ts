// Options objects are checked against the keys their function reads: a misspelt option
// (`batch_size`, `epoch`) is an ArgumentError naming it and the nearest valid key, as
// Keras' fit() refuses an unexpected keyword, never a silent default. The key lists are
// runtime values made by `optionKeys<T>()`, which the compiler refuses when they miss a
// key of T, so a new option cannot be forgotten here.

import { ArgumentError } from './errors.js';

type Missing<T, K extends readonly PropertyKey[]> = Exclude<keyof T, K[number]>;

/**
 * `optionKeys<TrainOptions>()('epochs', 'batchSize', ...)`: the keys of T as a list; a
 * list without every key of T does not compile (the error names the missing ones).
 */
export function optionKeys<T extends object>() {
  return <const K extends readonly (keyof T & string)[]>(
    ...keys: K & ([Missing<T, K>] extends [never] ? unknown : { missingKeys: Missing<T, K> })
  ): K => keys;
}

/**
 * `defaults` with the positive integers of `given` over them (a key set to undefined keeps
 * its default): the one resolver of the model, data and .aec limits. A key that is no limit,
 * or a value that is no positive integer, is an ArgumentError naming `what` ("model limit"),
 * never a check that silently passes (NaN compares false).
 */
export function resolvePositiveLimits<T extends { [K in keyof T]: number }>(defaults: Readonly<T>, given: Partial<T>, what: string): T {
  const out = { ...defaults } as T;
  for (const key of Object.keys(given) as (keyof T & string)[]) {
    if (!Object.hasOwn(defaults, key)) throw new ArgumentError(`unknown ${what} ${JSON.stringify(key.slice(0, 64))}; expected ${Object.keys(defaults).join(', ')}`);
    const v: unknown = given[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || (v as number) < 1) throw new ArgumentError(`${what} ${key} must be a positive integer, got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`);
    out[key] = v as T[keyof T & string];
  }
  return out;
}

/** Case, '_' and '-' aside: `batch_size` and `BatchSize` are `batchsize`. */
const fold = (key: string): string => key.toLowerCase().replace(/[_-]/g, '');

/**
 * The valid key `key` was most likely meant to be, or null: the same key but for case,
 * '_' and '-' (`batch_size`: batchSize), else one the key begins (`epoch`: epochs,
 * `keep`: keepFloat), else one the key is with one character more (`seeds`: seed); not
 * `noiseType`: noise, whose `noiseKind` it more likely meant.
 */
export function nearestKey(key: string, valid: readonly string[]): string | null {
  const f = fold(key);
  if (f.length < 3) return null;
  return valid.find((v) => fold(v) === f) ?? valid.find((v) => fold(v).startsWith(f)) ?? valid.find((v) => f.length === fold(v).length + 1 && f.startsWith(fold(v))) ?? null;
}

/**
 * Refuses `options` unless it is a plain options object (undefined passes: the defaults)
 * whose own keys are all in `valid`. `call` names the function, as "train(model, splits, options)".
 * `hints`: for keys that belong elsewhere, by folded key (`lr`), the sentence to say instead
 * of a suggestion, its own punctuation included.
 */
export function checkOptionKeys(options: unknown, valid: readonly string[], call: string, hints: Readonly<Record<string, string>> = {}): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    const got = Array.isArray(options) ? 'an array' : options === null ? 'null' : typeof options;
    throw new ArgumentError(`${call}: options must be an object with keys from ${valid.join(', ')}; got ${got}`);
  }
  for (const key of Object.keys(options)) {
    if (valid.includes(key)) continue;
    const shown = JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);
    const hint = Object.hasOwn(hints, fold(key)) ? hints[fold(key)] : undefined;
    const near = hint ? null : nearestKey(key, valid);
    throw new ArgumentError(`${call}: unknown option ${shown}${hint ? `; ${hint}` : near ? `; did you mean "${near}"?` : '.'} Valid options: ${valid.join(', ')}`);
  }
}
