// int8 models in the library: quantizeModel, the file round trip (codes, scales and outputs
// exact), the JS spec backend agreeing bit for bit with WASM, the weight scheme, and the
// loader refusing bad int8 files before it allocates (typed errors naming the tensor).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FormatError, ShapeError, UnsupportedError } from '../../src/errors.js';
import { decodeSafetensors, encodeSafetensors, type TensorEntry } from '../../src/io/safetensors.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import type { Architecture } from '../../src/models/architecture.js';
import { decodeModel, encodeModel } from '../../src/models/model-file.js';
import { dequantizeKernel, INT8_SCHEME, quantizationOf, quantizeKernel, quantizeModel } from '../../src/models/quantize.js';
import { expectBitIdentical, jsKernels, uniform, wasmKernels } from '../helpers.js';

const FIXTURES = new URL('../fixtures/models/', import.meta.url);
const fixture = (name: string): Uint8Array => readFileSync(new URL(`${name}.safetensors`, FIXTURES));

const wasm = await wasmKernels();
const js = jsKernels('f32');

function load(name: string, k: Kernels): Autoencoder {
  return decodeModel(fixture(name), k, name).model;
}

const images = (model: Autoencoder, n: number, seed: number): Float32Array => Float32Array.from(uniform(n * model.inputSize, seed, 0, 1));

/** Rewrites a model file's tensors and metadata (for the refusal cases). */
function edit(bytes: Uint8Array, fn: (tensors: TensorEntry[], meta: Record<string, string>) => void): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const list = [...tensors].map(([name, t]) => ({ name, ...t }) as TensorEntry);
  const meta = { ...metadata };
  fn(list, meta);
  return encodeSafetensors(list, meta);
}

describe('quantizeKernel', () => {
  it('codes each output channel by its own max |w| / 127, ties to even, zero channels at scale 1', () => {
    // kernel [3, 3]: channel 0 max 2.54 (scale 0.02), channel 1 all zero, channel 2 max 127.
    const w = [2.54, 0, 0.5, -1.27, 0, 1.5, 0.01, 0, -127];
    const q = quantizeKernel(w, 3, 3);
    expect(Array.from(q.scales)).toEqual([Math.fround(2.54 / 127), 1, 1]);
    expect(Array.from(q.codes)).toEqual([127, 0, 0, -64, 0, 2, 1, 0, -127]);
    const back = dequantizeKernel(q, 3);
    for (let i = 0; i < w.length; i++) expect(Math.abs(back[i]! - w[i]!)).toBeLessThanOrEqual(q.scales[i % 3]! / 2 + 1e-7);
  });
});

describe('quantizeModel', () => {
  for (const name of ['dense', 'deep', 'vae']) {
    it(`${name}: close to the float model, exact through a file, and the JS spec agrees bit for bit`, () => {
      const float = load(name, wasm);
      const q = quantizeModel(float);
      const dense = name === 'deep' ? 6 : name === 'vae' ? 5 : 2;
      expect(quantizationOf(q)!.layers).toHaveLength(dense);
      expect(quantizationOf(float)).toBeNull();
      const x = images(float, 37, 3);
      const ref = float.reconstruct(x);
      const got = q.reconstruct(x);
      let err = 0;
      for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(got[i]! - ref[i]!));
      expect(err).toBeGreaterThan(0); // int8 really ran
      expect(err).toBeLessThan(0.05);
      const bytes = encodeModel(q);
      const again = decodeModel(bytes, wasm, 'q').model;
      expect(quantizationOf(again)).toEqual(quantizationOf(q));
      expectBitIdentical(again.reconstruct(x), got, 'reloaded');
      expect(Buffer.from(encodeModel(again)).equals(Buffer.from(bytes))).toBe(true);
      // The JS spec backend runs the same integers and the same float32 epilogue; the
      // float layers (sigmoid epilogues) may differ in the last bits between backends.
      const onJs = decodeModel(bytes, js, 'q').model;
      const codes = onJs.encode(x);
      expectBitIdentical(codes, again.encode(x), 'codes on JS vs WASM');
      for (const m of [float, q, again, onJs]) m.dispose();
    });
  }

  it('a Dense layer on the last axis of an image (several rows per sample) quantizes each row, on both backends alike', () => {
    const arch = {
      kind: 'autoencoder', input_shape: [4, 6, 3],
      parts: { encoder: [{ class_name: 'Dense', config: { units: 5, activation: 'relu' } }], decoder: [{ class_name: 'Dense', config: { units: 3, activation: 'sigmoid' } }] },
    } as Architecture;
    const x = Float32Array.from(uniform(3 * 72, 8, 0, 1));
    const codes: Float32Array[] = [];
    for (const k of [wasm, js]) {
      const float = new Autoencoder(k, arch).initialize(4);
      const q = quantizeModel(float);
      expect(quantizationOf(q)!.layers).toEqual(['encoder.0', 'decoder.0']);
      const ref = float.encode(x);
      const got = q.encode(x);
      expect(got.length).toBe(3 * 4 * 6 * 5);
      for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThan(0.03);
      codes.push(got);
      q.dispose();
      float.dispose();
    }
    expectBitIdentical(codes[0]!, codes[1]!, 'WASM vs JS');
  });

  it('keepFloat leaves the named layers in float32 and refuses unknown names', () => {
    const float = load('deep', wasm);
    const q = quantizeModel(float, { keepFloat: ['decoder.2'] });
    expect(quantizationOf(q)!.layers).not.toContain('decoder.2');
    expect(quantizationOf(q)!.layers).toHaveLength(5);
    expect(() => quantizeModel(float, { keepFloat: ['decoder.9'] })).toThrow(ShapeError);
    expect(() => quantizeModel(q)).toThrow(/already int8/);
    q.dispose();
    float.dispose();
  });

  it('refuses a conv model without Dense layers, and training an int8 model', () => {
    const conv = load('conv', wasm);
    expect(() => quantizeModel(conv)).toThrow(/no Dense layer/);
    const q = quantizeModel(load('dense', wasm));
    expect(() => q.compile({ batch: 4, training: true, loss: 'mse' })).toThrow(UnsupportedError);
    expect(() => encodeModel(q, q.training, { optimizerState: true })).toThrow(FormatError);
    conv.dispose();
    q.dispose();
  });

  it('dispose frees the int8 heap', () => {
    const float = load('deep', wasm);
    const before = wasm.heap.used;
    const q = quantizeModel(float);
    q.reconstruct(images(float, 3, 1));
    q.dispose();
    expect(wasm.heap.used).toBe(before);
    float.dispose();
  });
});

describe('int8 model files', () => {
  const base = (() => {
    const q = quantizeModel(load('dense', wasm));
    const b = encodeModel(q);
    q.dispose();
    return b;
  })();
  const kernel = 'encoder.1.kernel';
  const scale = 'encoder.1.kernel_scale';

  it('stores I8 kernels, F32 scales and the record', () => {
    const { tensors, metadata } = decodeSafetensors(base);
    expect(tensors.get(kernel)!.dtype).toBe('I8');
    expect(tensors.get(scale)!.dtype).toBe('F32');
    expect(tensors.get('encoder.1.bias')!.dtype).toBe('F32');
    expect(JSON.parse(metadata['quantization']!)).toEqual({ scheme: INT8_SCHEME, layers: ['encoder.1', 'decoder.0'] });
  });

  const bad: [string, (t: TensorEntry[], m: Record<string, string>) => void, RegExp][] = [
    ['no record (a float-only reader)', (_t, m) => delete m['quantization'], /dtype I8 but the file has no __metadata__ "quantization"/],
    ['unknown scheme', (_t, m) => (m['quantization'] = JSON.stringify({ scheme: 'int4', layers: ['encoder.1'] })), /scheme is "int4"/],
    ['record not JSON', (_t, m) => (m['quantization'] = '{'), /not valid JSON/],
    ['unknown key', (_t, m) => (m['quantization'] = JSON.stringify({ scheme: INT8_SCHEME, layers: ['encoder.1'], bits: 4 })), /unknown key "bits"/],
    ['layer listed twice', (_t, m) => (m['quantization'] = JSON.stringify({ scheme: INT8_SCHEME, layers: ['encoder.1', 'encoder.1'] })), /listed twice/],
    ['not a Dense layer', (_t, m) => (m['quantization'] = JSON.stringify({ scheme: INT8_SCHEME, layers: ['encoder.0'] })), /a Flatten layer/],
    ['no such layer', (_t, m) => (m['quantization'] = JSON.stringify({ scheme: INT8_SCHEME, layers: ['toString.0'] })), /no layer of the architecture/],
    ['layers empty', (_t, m) => (m['quantization'] = JSON.stringify({ scheme: INT8_SCHEME, layers: [] })), /non-empty array/],
    ['kernel as F32', (t) => {
      const i = t.findIndex((e) => e.name === kernel);
      t[i] = { name: kernel, dtype: 'F32', shape: t[i]!.shape, data: new Float32Array(t[i]!.data.length) };
    }, /has dtype F32, expected I8/],
    ['kernel of the wrong shape', (t) => {
      const i = t.findIndex((e) => e.name === kernel);
      t[i] = { name: kernel, dtype: 'I8', shape: [6, 64], data: t[i]!.data as Int8Array };
    }, /has shape \[6, 64\]/],
    ['code -128', (t) => ((t.find((e) => e.name === kernel)!.data as Int8Array)[5] = -128), /holds -128 at index 5/],
    ['scale missing', (t) => t.splice(t.findIndex((e) => e.name === scale), 1), /missing tensor "encoder.1.kernel_scale"/],
    ['scale zero', (t) => ((t.find((e) => e.name === scale)!.data as Float32Array)[3] = 0), /holds 0 at index 3; scales must be finite and > 0/],
    ['scale NaN', (t) => ((t.find((e) => e.name === scale)!.data as Float32Array)[0] = NaN), /holds NaN at index 0/],
    ['scale negative', (t) => ((t.find((e) => e.name === scale)!.data as Float32Array)[1] = -1), /holds -1 at index 1/],
    ['scale as F16-shaped I8', (t) => {
      const i = t.findIndex((e) => e.name === scale);
      t[i] = { name: scale, dtype: 'I8', shape: [6], data: new Int8Array(6) };
    }, /"encoder.1.kernel_scale" has dtype I8, expected F32/],
    ['scale of the wrong shape', (t) => {
      const i = t.findIndex((e) => e.name === scale);
      t[i] = { name: scale, dtype: 'F32', shape: [5], data: new Float32Array(5).fill(1) };
    }, /has shape \[5\], expected \[6\]/],
    ['optimizer state', (t) => t.push({ name: 'optimizer.encoder.1.bias.m', dtype: 'F32', shape: [6], data: new Float32Array(6) }), /optimizer state, which an int8 model file cannot hold/],
  ];
  for (const [what, fn, message] of bad) {
    it(`refuses ${what} before allocating`, () => {
      const bytes = edit(base, fn);
      const used = wasm.heap.used;
      let err: unknown;
      try {
        decodeModel(bytes, wasm, 'bad.safetensors');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FormatError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toMatch(/^bad\.safetensors: /);
      expect(wasm.heap.used).toBe(used);
    });
  }
});
