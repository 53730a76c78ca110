// Reading Keras layer configs: typed, validated, with errors naming the layer and key.

import { ArgumentError } from '../errors.js';
import type { Padding } from '../kernels/geometry.js';

export class ConfigReader {
  constructor(
    private readonly cfg: Record<string, unknown>,
    private readonly where: string,
  ) {}

  has(key: string): boolean {
    return this.get(key) !== undefined && this.get(key) !== null;
  }

  /** The config's own value for `key`: a key Object.prototype has must not read its member. */
  private get(key: string): unknown {
    return Object.hasOwn(this.cfg, key) ? this.cfg[key] : undefined;
  }

  positiveInt(key: string, fallback?: number): number {
    const v = this.get(key) ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new ArgumentError(`${this.where}: ${key} must be a positive integer, got ${JSON.stringify(v)}`);
    }
    return v;
  }

  number(key: string, fallback: number, min = -Infinity): number {
    const v = this.get(key) ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
      throw new ArgumentError(`${this.where}: ${key} must be a finite number >= ${min}, got ${JSON.stringify(v)}`);
    }
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.get(key) ?? fallback;
    if (typeof v !== 'boolean') throw new ArgumentError(`${this.where}: ${key} must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  /** Keras accepts an int or a pair for sizes such as kernel_size and strides. */
  pair(key: string, fallback?: [number, number]): [number, number] {
    const v = this.get(key) ?? fallback;
    const pair = typeof v === 'number' ? [v, v] : v;
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((d) => Number.isInteger(d) && d >= 1)) {
      throw new ArgumentError(`${this.where}: ${key} must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
    }
    return [pair[0] as number, pair[1] as number];
  }

  padding(): Padding {
    const v = this.get('padding') ?? 'valid';
    if (v !== 'same' && v !== 'valid') {
      throw new ArgumentError(`${this.where}: padding must be "same" or "valid", got ${JSON.stringify(v)}`);
    }
    return v;
  }

  intList(key: string): number[] {
    const v = this.get(key);
    if (!Array.isArray(v) || v.length === 0 || !v.every((d) => Number.isInteger(d) && d >= 1)) {
      throw new ArgumentError(`${this.where}: ${key} must be a list of positive integers, got ${JSON.stringify(v)}`);
    }
    return v as number[];
  }

  raw(key: string): unknown {
    return this.get(key);
  }

  /** Rejects keys this layer does not understand (a typo must not be silently ignored). */
  only(keys: readonly string[]): void {
    for (const key of Object.keys(this.cfg)) {
      if (!keys.includes(key) && !IGNORED_KERAS_KEYS.has(key)) {
        throw new ArgumentError(`${this.where}: unknown config key ${JSON.stringify(key)}; expected ${keys.join(', ')}`);
      }
    }
  }
}

/** Keys Keras writes that do not change what a layer computes here. */
const IGNORED_KERAS_KEYS = new Set(['name', 'trainable', 'dtype', 'data_format', 'seed']);
