// Denoising input: the clean target corrupted into the input, fresh noise per call, from the
// run's counter-based noise stream (so the same seed gives the same corruption on either
// backend, any thread count and any batch split). Three kinds, each taking `count` draws of
// the stream per call whatever the level, so a checkpoint's counter means the same for all:
//
//   gaussian     x + level N(0, 1), clipped to [0, 1] for pixel models;
//   salt-pepper  with probability level the value becomes the data's min or max (half each);
//   mask         with probability level the value becomes 0 in the model's values: the data
//                minimum for pixel models (a black pixel), the feature's mean for
//                standardised data, its minimum for min-max.
//
// Salt-and-pepper and masking draw one uniform u per value with the randUniform kernel into
// the input and then pick, per value, u < level / 2 -> min, u < level -> max (salt-pepper)
// or u < level -> 0 (mask), else the clean value: a select over the batch in JS, about a
// nanosecond a value, bit-identical on both backends because randUniform is.

import { ArgumentError } from '../errors.js';
import type { Dataset } from '../data/dataset.js';
import { valueRange } from '../data/storage.js';
import type { HeapArray } from '../kernels/heap.js';
import type { Kernels } from '../kernels/kernels.js';
import type { Autoencoder } from '../models/autoencoder.js';
import type { TrainingRecord } from '../models/model-file.js';
import { isNoiseKind, NOISE_KINDS, type NoiseKind } from '../models/training-record.js';
import type { RandomStream } from '../random/streams.js';

export { NOISE_KINDS, type NoiseKind };

/** How a batch is corrupted: resolved once per run from the kind, the level and the model. */
export interface InputNoise {
  readonly kind: NoiseKind;
  /** Gaussian: the stddev; salt-pepper and mask: the probability a value is replaced. */
  readonly level: number;
  /** Salt-pepper's pepper and salt: [0, 1] for pixel models, else the data's min and max. */
  readonly lo: number;
  readonly hi: number;
  /** Gaussian noise is clipped to [lo, hi] (pixel models only). */
  readonly clip: boolean;
}

/** The kind of noise a model was trained with: its record's noise_kind, gaussian when absent (older files). */
export function recordedNoiseKind(record: TrainingRecord | null | undefined): NoiseKind {
  const kind = record?.['noise_kind'];
  return isNoiseKind(kind) ? kind : 'gaussian';
}

/**
 * Checks a kind and level (`where` names them in errors): the kind one of NOISE_KINDS, a
 * probability level (salt-pepper, mask) at most 1. Gaussian levels are the trainer's range.
 */
export function checkNoise(kind: unknown, level: number, where: { kind: string; level: string }): NoiseKind {
  if (!isNoiseKind(kind)) throw new ArgumentError(`${where.kind} must be one of ${NOISE_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  if (kind !== 'gaussian' && !(level >= 0 && level <= 1)) {
    throw new ArgumentError(`${where.level} is the probability a value is replaced for ${kind} noise: it must be in [0, 1], got ${level}`);
  }
  return kind;
}

/**
 * The noise a run adds, or null for none (level 0). Pixel models (inputs in [0, 1]) corrupt
 * toward 0 and 1 and clip Gaussian noise there; other models (standardised, min-max) take
 * the min and max of `data` — the split being corrupted — and leave Gaussian noise unclipped.
 */
export function inputNoiseFor(model: Autoencoder, kind: NoiseKind, level: number, data: Dataset): InputNoise | null {
  if (level === 0) return null;
  if (model.inputsInUnitRange) return { kind, level, lo: 0, hi: 1, clip: true };
  // A chunked scan: a streamed (or on-disk) set is never converted to float32 whole.
  let { lo, hi } = valueRange(data);
  // An empty split corrupts nothing; keep the numbers finite all the same.
  if (lo > hi) lo = hi = 0;
  return { kind, level, lo, hi, clip: false };
}

/** Writes into input[0, count) the clean target[0, count) corrupted by `noise`, drawing from `stream`. */
export function addInputNoise(kernels: Kernels, target: number, input: number, count: number, noise: InputNoise, stream: RandomStream): void {
  if (noise.kind === 'gaussian') {
    kernels.randNormal(input, count, stream.key, stream.take(count), 0, noise.level);
    kernels.add(input, target, input, count);
    if (noise.clip) kernels.clip(input, noise.lo, noise.hi, input, count);
    return;
  }
  kernels.randUniform(input, count, stream.key, stream.take(count), 0, 1);
  selectCorruption(kernels.heap.data, target, input, count, noise);
}

/**
 * Over `data` holding uniforms u at `input`: replaces each by the value it selects for the
 * clean value at `target` (salt-pepper or mask; see the file's head).
 */
export function selectCorruption(data: HeapArray | Float32Array, target: number, input: number, count: number, noise: InputNoise): void {
  const p = noise.level;
  if (noise.kind === 'mask') {
    for (let i = 0; i < count; i++) data[input + i] = data[input + i]! < p ? 0 : data[target + i]!;
    return;
  }
  const half = p / 2;
  const { lo, hi } = noise;
  for (let i = 0; i < count; i++) {
    const u = data[input + i]!;
    data[input + i] = u < half ? lo : u < p ? hi : data[target + i]!;
  }
}

/**
 * `clean` corrupted by `noise` from stream position (key, counter), on `kernels`: the very
 * computation training runs (addInputNoise), for commands that corrupt samples outside it.
 */
export function corrupt(kernels: Kernels, clean: Float32Array, noise: InputNoise, stream: RandomStream): Float32Array {
  const heap = kernels.heap;
  const target = heap.alloc(clean.length);
  let input = -1;
  try {
    input = heap.alloc(clean.length);
    heap.write(target, clean);
    addInputNoise(kernels, target, input, clean.length, noise, stream);
    return heap.read(input, clean.length);
  } finally {
    heap.free(target);
    if (input >= 0) heap.free(input);
  }
}
