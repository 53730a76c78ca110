// compressCodes / decompressCodes with real models: the codes come back exactly as the
// documented quantisation makes them, within its error bound at every bit depth; the file
// is bound to its model (another model is a ModelMismatchError naming both hashes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressCodes, compressImages, decompressCodes, decompressImages, modelHash } from '../../src/compress/index.js';
import { crc32, hex } from '../../src/compress/digest.js';
import { codeRanges, dequantize, quantize } from '../../src/compress/quantize.js';
import { readAecHeader } from '../../src/compress/aec.js';
import { FormatError, ModelMismatchError, ShapeError, ArgumentError, DataError } from '../../src/errors.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { decodeModel, encodeModel } from '../../src/models/model-file.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { wasmKernels } from '../helpers.js';
import { trainingRecord } from '../models/model-fixtures.js';

let kernels: Kernels;
let dense: Autoencoder;
let images: Float32Array;
const N = 40;

beforeAll(async () => {
  kernels = await wasmKernels();
  dense = new Autoencoder(kernels, presetArchitecture('dense', { latent: 6 })).initialize(3);
  images = Float32Array.from({ length: N * 784 }, (_, i) => ((i * 2654435761) >>> 0) / 2 ** 32);
});
afterAll(() => dense.dispose());

describe('compressCodes / decompressCodes', () => {
  it.each(Array.from({ length: 13 }, (_, i) => i + 4))('%i bits: the codes come back exactly as quantised, within range / (2^bits - 1) / 2', (bits) => {
    const codes = dense.encode(images);
    const labels = Uint8Array.from({ length: N }, (_, i) => (i * 3) % 10);
    const bytes = compressCodes(dense, codes, { bits, labels });
    const back = decompressCodes(dense, bytes, { source: 'c.aec' });
    const k = dense.codeSize;
    const r = codeRanges(codes, k);
    expect(back.codes).toEqual(dequantize(quantize(codes, k, r, bits), N, k, r, bits));
    expect(back).toMatchObject({ n: N, bits });
    expect(back.labels).toEqual(labels);
    for (let i = 0; i < codes.length; i++) {
      const d = i % k;
      const bound = (r.hi[d]! - r.lo[d]!) / (2 ** bits - 1) / 2 + Math.abs(back.codes[i]!) * 2 ** -24;
      expect(Math.abs(back.codes[i]! - codes[i]!)).toBeLessThanOrEqual(bound);
    }
  });

  it('more bits, fewer errors and more bytes; decompressImages decodes the dequantised codes', () => {
    const codes = dense.encode(images);
    const err = (bits: number) => {
      const back = decompressCodes(dense, compressCodes(dense, codes, { bits }));
      return back.codes.reduce((s, v, i) => s + (v - codes[i]!) ** 2, 0);
    };
    expect(err(8)).toBeLessThan(err(4));
    expect(err(16)).toBeLessThan(err(8));
    expect(compressCodes(dense, codes, { bits: 16 }).length).toBeGreaterThan(compressCodes(dense, codes, { bits: 4 }).length);
    const bytes = compressImages(dense, images, { bits: 8 });
    const out = decompressImages(dense, bytes);
    expect(out.images).toEqual(dense.decode(out.codes));
    expect(out.labels).toBeNull();
  });

  it('a VAE stores z_mean', async () => {
    const vae = new Autoencoder(kernels, presetArchitecture('vae', { latent: 2 })).initialize(1);
    try {
      const z = vae.encode(images);
      const back = decompressCodes(vae, compressImages(vae, images, { bits: 16 }));
      const step = Math.max(...Array.from(codeRanges(z, 2).hi, (h, d) => h - codeRanges(z, 2).lo[d]!)) / 65535;
      back.codes.forEach((v, i) => expect(Math.abs(v - z[i]!)).toBeLessThanOrEqual(step));
    } finally {
      vae.dispose();
    }
  });

  it('refuses bad input to compress', () => {
    expect(() => compressCodes(dense, new Float32Array(5))).toThrow(ShapeError);
    expect(() => compressCodes(dense, new Float32Array(0))).toThrow(ShapeError);
    expect(() => compressCodes(dense, new Float32Array(12), { labels: new Uint8Array(3) })).toThrow(/expected 2 labels/);
    expect(() => compressCodes(dense, new Float32Array(6), { bits: 17 })).toThrow(ArgumentError);
    expect(() => compressCodes(dense, Float32Array.of(0, 0, NaN, 0, 0, 0))).toThrow(DataError);
  });
});

describe('the model hash binds a file to its model', () => {
  it('another model is a ModelMismatchError naming both hashes, before the payload is read', () => {
    const other = new Autoencoder(kernels, presetArchitecture('dense', { latent: 6 })).initialize(4);
    try {
      const bytes = compressImages(dense, images);
      const err = (() => {
        try {
          decompressCodes(other, bytes, { source: 'd.aec', modelName: 'other.safetensors' });
        } catch (e) {
          return e as Error;
        }
        throw new Error('no error');
      })();
      expect(err).toBeInstanceOf(ModelMismatchError);
      expect(err.message).toContain(`d.aec: compressed with the model of hash ${hex(modelHash(dense))}, but other.safetensors has hash ${hex(modelHash(other))}`);
      // The header decides, before the payload is inflated: junk deflate (with a matching CRC) gives the same error.
      const junk = bytes.slice();
      const head = readAecHeader(bytes).payload.byteOffset - bytes.byteOffset;
      junk.fill(0xff, head, junk.length - 4);
      new DataView(junk.buffer).setUint32(junk.length - 4, crc32(junk.subarray(0, junk.length - 4)), true);
      expect(() => decompressCodes(other, junk)).toThrow(ModelMismatchError);
      expect(() => decompressCodes(dense, junk)).toThrow(/not a valid deflate stream/);
    } finally {
      other.dispose();
    }
  });

  it('survives a save and load under another training record; changes with any weight, the architecture or the preprocessing', () => {
    const h = hex(modelHash(dense));
    const file = encodeModel(dense, trainingRecord('dense', { seed: 99 }));
    const loaded = decodeModel(file, kernels, 'm.safetensors').model;
    try {
      expect(hex(modelHash(loaded))).toBe(h);
      // One weight one float32 ulp away.
      const p = loaded.params.list[0]!;
      const w = loaded.params.read(p).slice();
      w[100] = w[100]! + Math.abs(w[100]!) * 2 ** -23;
      loaded.params.write(p, w);
      expect(hex(modelHash(loaded))).not.toBe(h);
    } finally {
      loaded.dispose();
    }
    const same = decodeModel(file, kernels, 'm.safetensors').model;
    try {
      same.preprocessing = { kind: 'scale', scale: 255, sampleShape: [28, 28, 1] };
      expect(hex(modelHash(same))).not.toBe(h);
      same.preprocessing = { kind: 'scale', scale: 255, sampleShape: [28, 28, 1], labels: ['a'] };
      const labelled = hex(modelHash(same));
      same.preprocessing = { kind: 'scale', scale: 255, sampleShape: [28, 28, 1], labels: ['b'] };
      expect(hex(modelHash(same))).toBe(labelled);
    } finally {
      same.dispose();
    }
    const linear = new Autoencoder(kernels, presetArchitecture('linear', { latent: 6 })).initialize(3);
    try {
      expect(hex(modelHash(linear))).not.toBe(h);
    } finally {
      linear.dispose();
    }
  });

  it('a corrupted file is a FormatError even under the right model', () => {
    const bytes = compressImages(dense, images);
    bytes[bytes.length - 10]! ^= 4;
    expect(() => decompressCodes(dense, bytes, { source: 'x.aec' })).toThrow(FormatError);
    expect(() => decompressCodes(dense, bytes, { source: 'x.aec' })).toThrow(/x\.aec: checksum mismatch/);
  });
});
