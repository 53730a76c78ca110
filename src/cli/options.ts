// Flag value parsers: each checks its documented range and says what was wrong.

import { InvalidArgumentError } from 'commander';

export function intArg(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const v = Number(value);
    if (value.trim() === '' || !Number.isInteger(v)) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
    if (v < min || v > max) throw new InvalidArgumentError(`must be between ${min} and ${max}, got ${v}`);
    return v;
  };
}

/** A finite number in [min, max] (or [min, max) with maxExclusive). */
export function floatArg(min: number, max: number, maxExclusive = false, minExclusive = false): (value: string) => number {
  return (value) => {
    const v = Number(value);
    if (value.trim() === '' || !Number.isFinite(v)) throw new InvalidArgumentError(`expected a number, got "${value}"`);
    const lowOk = minExclusive ? v > min : v >= min;
    const highOk = maxExclusive ? v < max : v <= max;
    if (!lowOk || !highOk) {
      throw new InvalidArgumentError(`must be in ${minExclusive ? '(' : '['}${min}, ${max}${maxExclusive ? ')' : ']'}, got ${v}`);
    }
    return v;
  };
}

/** The command-line name of a camelCase option key: valSplit -> --val-split. */
export function flagName(key: string): string {
  return '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** Any integer: for flags whose range a validator owns (validateTrainOptions), so it is stated once. */
export const anyInteger = intArg(-Number.MAX_SAFE_INTEGER);

/** Any finite number, for flags whose range a validator owns. */
export const anyNumber = floatArg(-Infinity, Infinity);
