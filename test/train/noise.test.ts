// The denoising input noise (src/train/noise.ts): the share of values each kind corrupts
// within binomial bounds, what it puts there, determinism by stream position, and the WASM
// backend (one and two threads) bit-identical to the JS baseline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import { ArgumentError } from '../../src/errors.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { createKernels } from '../../src/kernels/node.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { RandomPurpose, RandomStream, streamKey } from '../../src/random/streams.js';
import { checkNoise, corrupt, inputNoiseFor, recordedNoiseKind, type InputNoise, type NoiseKind } from '../../src/train/noise.js';
import { validateTrainOptions } from '../../src/train/train-options.js';
import { train } from '../../src/train/trainer.js';

const COUNT = 40_000;

let js: Kernels;
let wasm: Kernels;
let wasm2: Kernels;
let pixel: Autoencoder;
let table: Autoencoder;

/** Clean values strictly inside (0, 1), none equal to 0 or 1, so every corrupted value shows. */
function cleanValues(n: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = 0.05 + 0.9 * ((i * 7919) % 1000) / 1000;
  return v;
}

function dataset(images: Float32Array, shape: number[]): Dataset {
  const n = images.length / shape.reduce((a, b) => a * b, 1);
  return { images, labels: new Uint8Array(n), shape, n };
}

/** |share - p| within 5 binomial standard deviations (a false alarm about once in 3.5 million runs). */
function expectShare(count: number, n: number, p: number, what: string): void {
  const sd = Math.sqrt((p * (1 - p)) / n);
  expect(Math.abs(count / n - p), `${what}: ${count} of ${n}, expected share ${p}`).toBeLessThanOrEqual(5 * sd + 1e-12);
}

beforeAll(async () => {
  js = await createKernels({ backend: 'js' });
  wasm = await createKernels({ backend: 'wasm', threads: 1 });
  wasm2 = await createKernels({ backend: 'wasm', threads: 2 });
  pixel = new Autoencoder(js, presetArchitecture('dense', { latent: 2, inputShape: [8] })).initialize(0);
  table = new Autoencoder(js, presetArchitecture('dense', { latent: 2, inputShape: [8], output: 'linear' })).initialize(0);
});

afterAll(() => {
  pixel.dispose();
  table.dispose();
});

const stream = (seed = 7, counter = 0): RandomStream => new RandomStream(streamKey(seed, RandomPurpose.noise), counter);

describe('inputNoiseFor', () => {
  it('pixel models corrupt toward 0 and 1 and clip; other models take the split\'s min and max and never clip', () => {
    const ds = dataset(Float32Array.from([-2.5, 0.25, 3.75, 1, 0, -1, 2, 0.5]), [8]);
    expect(inputNoiseFor(pixel, 'salt-pepper', 0.1, ds)).toEqual({ kind: 'salt-pepper', level: 0.1, lo: 0, hi: 1, clip: true });
    expect(inputNoiseFor(table, 'gaussian', 0.3, ds)).toEqual({ kind: 'gaussian', level: 0.3, lo: -2.5, hi: 3.75, clip: false });
    expect(inputNoiseFor(table, 'mask', 0, ds)).toBeNull();
  });

  it('levels and kinds are checked, in the library\'s words and the flags\'', () => {
    expect(() => checkNoise('mask', 1.5, { kind: 'noise kind', level: 'noise' })).toThrow(/noise is the probability a value is replaced for mask noise: it must be in \[0, 1\], got 1.5/);
    expect(() => checkNoise('speckle', 0.1, { kind: '--noise-kind', level: '--noise' })).toThrow(/--noise-kind must be one of gaussian, salt-pepper, mask, got "speckle"/);
    expect(checkNoise('gaussian', 3, { kind: 'k', level: 'l' })).toBe('gaussian');
    expect(() => validateTrainOptions({ noise: 2, noiseKind: 'salt-pepper' })).toThrow(ArgumentError);
    expect(validateTrainOptions({ noise: 1, noiseKind: 'mask' }).noiseKind).toBe('mask');
    expect(validateTrainOptions({}).noiseKind).toBe('gaussian');
    expect(recordedNoiseKind({ loss: 'mse', optimizer: {}, noise: 0.2, l1: 0, beta: 1, seed: 0 })).toBe('gaussian');
    expect(recordedNoiseKind({ loss: 'mse', optimizer: {}, noise: 0.2, l1: 0, beta: 1, seed: 0, noise_kind: 'mask' })).toBe('mask');
  });
});

describe('addInputNoise', () => {
  const clean = cleanValues(COUNT);

  for (const p of [0.1, 0.25, 0.5]) {
    it(`salt-pepper ${p}: a share p of the values replaced, half by the min and half by the max, the rest untouched`, () => {
      const noise: InputNoise = { kind: 'salt-pepper', level: p, lo: -1.5, hi: 2.5, clip: false };
      const s = stream();
      const y = corrupt(js, clean, noise, s);
      expect(s.counter).toBe(COUNT);
      let lo = 0;
      let hi = 0;
      for (let i = 0; i < COUNT; i++) {
        if (y[i] === -1.5) lo++;
        else if (y[i] === 2.5) hi++;
        else expect(y[i]).toBe(clean[i]);
      }
      expectShare(lo + hi, COUNT, p, 'replaced');
      expectShare(lo, COUNT, p / 2, 'pepper');
      expectShare(hi, COUNT, p / 2, 'salt');
    });

    it(`mask ${p}: a share p of the values set to 0, the rest untouched`, () => {
      const y = corrupt(js, clean, { kind: 'mask', level: p, lo: 0, hi: 1, clip: true }, stream());
      let zeros = 0;
      for (let i = 0; i < COUNT; i++) {
        if (y[i] === 0) zeros++;
        else expect(y[i]).toBe(clean[i]);
      }
      expectShare(zeros, COUNT, p, 'masked');
    });
  }

  it('gaussian: x + level N(0, 1) unclipped (mean and stddev of the noise), and clipped to [0, 1] for pixels', () => {
    const level = 0.3;
    const y = corrupt(js, clean, { kind: 'gaussian', level, lo: -1, hi: 2, clip: false }, stream());
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < COUNT; i++) {
      const d = y[i]! - clean[i]!;
      sum += d;
      sq += d * d;
    }
    const mean = sum / COUNT;
    const sd = Math.sqrt(sq / COUNT - mean * mean);
    expect(Math.abs(mean)).toBeLessThan((5 * level) / Math.sqrt(COUNT));
    // The sample stddev's own stddev is about level / sqrt(2 COUNT).
    expect(Math.abs(sd - level)).toBeLessThan((5 * level) / Math.sqrt(2 * COUNT));
    expect(y.some((v) => v < 0) && y.some((v) => v > 1)).toBe(true);
    const clipped = corrupt(js, clean, { kind: 'gaussian', level, lo: 0, hi: 1, clip: true }, stream());
    expect(clipped.every((v) => v >= 0 && v <= 1)).toBe(true);
    for (let i = 0; i < COUNT; i++) expect(clipped[i]).toBe(Math.min(1, Math.max(0, y[i]!)));
  });

  const kinds: NoiseKind[] = ['gaussian', 'salt-pepper', 'mask'];
  for (const kind of kinds) {
    it(`${kind}: a pure function of the stream position, bit-identical on JS, WASM and WASM with 2 threads`, () => {
      const noise: InputNoise = { kind, level: kind === 'gaussian' ? 0.4 : 0.3, lo: 0, hi: 1, clip: true };
      // An odd count and a counter that is odd and beyond 2^32: no alignment or block luck.
      const n = 30_011;
      const x = clean.subarray(0, n);
      const at = 2 ** 32 + 5;
      const ref = corrupt(js, x, noise, stream(3, at));
      expect(Array.from(corrupt(js, x, noise, stream(3, at)))).toEqual(Array.from(ref));
      expect(Array.from(corrupt(wasm, x, noise, stream(3, at)))).toEqual(Array.from(ref));
      expect(Array.from(corrupt(wasm2, x, noise, stream(3, at)))).toEqual(Array.from(ref));
      // Two halves from consecutive positions are the whole: independent of the batch split.
      const s = stream(3, at);
      const a = corrupt(wasm, x.subarray(0, 10_001), noise, s);
      const b = corrupt(wasm, x.subarray(10_001), noise, s);
      expect([...a, ...b]).toEqual(Array.from(ref));
      // Another seed, another corruption.
      const other = corrupt(js, x, noise, stream(4, at));
      expect(other.some((v, i) => v !== ref[i])).toBe(true);
    });
  }
});

describe('training with each kind', () => {
  /** The weights after one epoch on 96 samples of 8 values, trained with `kind` noise on `kernels`. */
  async function weightsAfter(kernels: Kernels, kind: NoiseKind, level: number): Promise<number[]> {
    const images = cleanValues(128 * 8);
    const ds = (from: number, n: number): Dataset => ({ images: images.subarray(from * 8, (from + n) * 8), labels: new Uint8Array(n), n, shape: [8] });
    const model = new Autoencoder(kernels, presetArchitecture('dense', { latent: 3, inputShape: [8] })).initialize(0);
    try {
      await train(model, { train: ds(0, 96), test: ds(96, 32), source: 'values' }, { epochs: 2, batchSize: 16, seed: 2, noise: level, noiseKind: kind, validationSplit: 0.25 });
      return model.params.list.flatMap((p) => Array.from(kernels.heap.read(p.value, p.size)));
    } finally {
      model.dispose();
    }
  }

  it('gives the same weights on 1 and 2 threads for every kind, and different weights for different kinds', async () => {
    const byKind = new Map<NoiseKind, number[]>();
    for (const [kind, level] of [['gaussian', 0.3], ['salt-pepper', 0.3], ['mask', 0.3]] as const) {
      const one = await weightsAfter(wasm, kind, level);
      expect(await weightsAfter(wasm2, kind, level), kind).toEqual(one);
      byKind.set(kind, one);
    }
    expect(byKind.get('mask')).not.toEqual(byKind.get('salt-pepper'));
    expect(byKind.get('mask')).not.toEqual(byKind.get('gaussian'));
  });
});
