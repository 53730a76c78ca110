// Seeded random streams: a key per (seed, purpose) and a counter, so a stream's whole state
// is two numbers a checkpoint can store. A leaf: data/ shuffles with it, models/ and train/
// initialise and add noise with it, and it imports only the generator.

import { randomBits, triple32 } from './generator.js';

const TWO_POW_M32 = 1 / 4294967296;

/**
 * Purposes of the random streams derived from a seed (keys differ per purpose): `split`
 * permutes the bundled digits into train and test, `init` draws the initial weights,
 * `shuffle` orders each epoch, `noise` corrupts denoising inputs, `sample` draws a VAE's
 * prior codes and eps. The numbers are part of every result: changing one changes every model since.
 */
export const RandomPurpose = { split: 0, init: 1, shuffle: 2, noise: 3, sample: 4 } as const;
export type RandomPurpose = (typeof RandomPurpose)[keyof typeof RandomPurpose];

/** Derives a stream key from a seed and a purpose (init, shuffle, noise, ...). */
export function streamKey(seed: number, purpose: RandomPurpose): number {
  return triple32((triple32(seed >>> 0) ^ Math.imul(purpose + 1, 0x85ebca6b)) >>> 0);
}

/**
 * A stream position: draws advance `counter`. Checkpoints store {key, counter}.
 */
export class RandomStream {
  constructor(
    public key: number,
    public counter = 0,
  ) {}
  /** Reserves n draws and returns the counter of the first. */
  take(n: number): number {
    const c = this.counter;
    this.counter += n;
    return c;
  }
  /** A uniform integer in [0, n) from 32 random bits (bias below n / 2^32). */
  nextInt(n: number): number {
    return Math.floor(randomBits(this.key, this.take(1)) * TWO_POW_M32 * n);
  }
  state(): { key: number; counter: number } {
    return { key: this.key, counter: this.counter };
  }
}
