// The browser entry on models of any input shape, run in Node (no DOM on this path): the
// model file's preprocessing reaches BrowserModel, normalize / denormalize equal Node's to
// the bit, pictures become the model's input through it, and reconstructions equal Node's
// reconstruct(normalize(x)) on the same build. Drawing is tested in Chromium (shapes.test.ts).

import type { Normalization } from '../../src/data/normalize.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, DataError, ShapeError } from '../../src/errors.js';
import { displayRange, imageToInput, imageToPixels, loadModel, type BrowserModel } from '../../src/browser/index.js';
import { createKernels, createModel, encodeModel } from '../../src/index.js';
import { toMnistInput } from '../../src/viz/preprocess.js';
import { makeShapeModels, rgbPictures, tableRows, TABLE_FEATURES } from './shape-models.js';

const BUILD = path.join(import.meta.dirname, '../../build');
let wasm: { 'kernels.wasm': Uint8Array };
let models: Awaited<ReturnType<typeof makeShapeModels>>;
const loaded: BrowserModel[] = [];
const load = async (bytes: Uint8Array) => {
  const m = await loadModel(bytes, { wasm, deterministic: true });
  loaded.push(m);
  return m;
};

/** RGB uint8 HWC pictures -> RGBA pixels (opaque), as a canvas's ImageData holds them. */
function toRgba(rgb: Uint8Array, width: number, height: number): { width: number; height: number; data: Uint8ClampedArray } {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set([rgb[3 * p]!, rgb[3 * p + 1]!, rgb[3 * p + 2]!, 255], 4 * p);
  return { width, height, data };
}

beforeAll(async () => {
  wasm = { 'kernels.wasm': new Uint8Array(await readFile(path.join(BUILD, 'kernels.wasm'))) };
  models = await makeShapeModels();
});

afterAll(() => {
  for (const m of loaded) m.dispose();
  models?.dispose();
});

describe('BrowserModel on other input shapes, with the model file\'s preprocessing', () => {
  it('carries the preprocessing the file records (a copy of Node\'s, value for value)', async () => {
    const conv = await load(models.rgbConv.bytes);
    expect(conv.info.inputShape).toEqual([32, 32, 3]);
    const pre = conv.info.preprocessing!;
    expect(pre.kind).toBe('standard');
    expect(Array.from(pre.mean!)).toEqual(Array.from(models.rgbConv.node.preprocessing!.mean!));
    expect(Array.from(pre.std!)).toEqual(Array.from(models.rgbConv.node.preprocessing!.std!));
    expect((await load(models.rgbDense.bytes)).info.preprocessing).toMatchObject({ kind: 'scale', scale: 255 });
  });

  it('normalizes and denormalizes a table model exactly as Node does', async () => {
    const table = await load(models.table.bytes);
    const rows = tableRows(5).map((v, k) => v * 1.5 - (k % 3));
    const normalized = table.normalize(rows);
    expect(Array.from(normalized)).toEqual(Array.from(models.table.node.normalize(rows)));
    expect(Array.from(table.denormalize(normalized))).toEqual(Array.from(models.table.node.denormalize(normalized)));
    // The constant feature (index 7) maps to x - mean, never NaN; the round trip is float32-close.
    const back = table.denormalize(normalized);
    for (let k = 0; k < rows.length; k++) expect(Math.abs(back[k]! - rows[k]!)).toBeLessThanOrEqual(Math.abs(rows[k]!) * 2 ** -22 + 1e-6);
    const recon = await table.reconstruct(normalized);
    expect(Array.from(recon)).toEqual(Array.from(models.table.node.reconstruct(normalized)));
    expect(() => table.normalize(new Float32Array(TABLE_FEATURES + 1))).toThrow(new ShapeError('normalize: 14 values is not a whole number of samples of shape [13] (13 values each)'));
    expect(() => table.denormalize(new Float32Array(0))).toThrow(ShapeError);
  });

  it('turns an RGB picture into the model\'s input through its preprocessing, and reconstructs it as Node does', async () => {
    for (const { node, bytes } of [models.rgbConv, models.rgbDense]) {
      const model = await load(bytes);
      const rgb = rgbPictures(3).subarray(2 * 3072, 3 * 3072);
      const picture = toRgba(rgb, 32, 32);
      const input = model.imageToInput(picture);
      expect(Array.from(input)).toEqual(Array.from(node.normalize(rgb)));
      expect(Array.from(imageToPixels(picture, { shape: [32, 32, 3] }))).toEqual(Array.from(rgb));
      const out = await model.reconstructImage(picture);
      expect(out.length).toBe(3072);
      expect(Array.from(out)).toEqual(Array.from(node.reconstruct(node.normalize(rgb))));
    }
  });

  it('resizes a picture of another size to the model\'s (area averages), then applies the preprocessing', async () => {
    const model = await load(models.rgbConv.bytes);
    // 64 x 64: each 2 x 2 block of one colour shrinks to that colour exactly.
    const rgb = rgbPictures(1);
    const big = new Uint8ClampedArray(64 * 64 * 4);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) {
      const p = (y >> 1) * 32 + (x >> 1);
      big.set([rgb[3 * p]!, rgb[3 * p + 1]!, rgb[3 * p + 2]!, 255], (y * 64 + x) * 4);
    }
    expect(Array.from(model.imageToInput({ width: 64, height: 64, data: big }))).toEqual(Array.from(models.rgbConv.node.normalize(rgb)));
    // A wide picture with fit "crop" keeps its centre 64 x 64.
    const wide = new Uint8ClampedArray(96 * 64 * 4).fill(255);
    for (let y = 0; y < 64; y++) wide.set(big.subarray(y * 256, (y + 1) * 256), (y * 96 + 16) * 4);
    expect(Array.from(model.imageToInput({ width: 96, height: 64, data: wide }, { fit: 'crop' }))).toEqual(Array.from(models.rgbConv.node.normalize(rgb)));
  });

  it('keeps MNIST\'s preparation for 28 x 28 x 1 models, scaled by their preprocessing', async () => {
    const legacy = await createModel('dense', { latent: 8, seed: 4, kernels: await createKernels({ deterministic: true }) });
    const plain = await load(encodeModel(legacy, { loss: 'mse', optimizer: { name: 'adam' }, noise: 0, l1: 0, beta: 1, seed: 4 }));
    const stroke = { width: 40, height: 40, data: Uint8ClampedArray.from({ length: 1600 }, (_, i) => ((i % 40) > 15 && (i % 40) < 22 && i > 300 && i < 1300 ? 255 : 0)), channels: 1 };
    const digit = toMnistInput(stroke);
    expect(plain.info.preprocessing).toBeNull();
    expect(Array.from(plain.imageToInput(stroke))).toEqual(Array.from(digit));
    expect(Array.from(imageToInput(stroke))).toEqual(Array.from(digit));
    expect(Array.from(imageToPixels(stroke))).toEqual(Array.from(digit.map((v) => v * 255)));
    legacy.preprocessing = { kind: 'scale', scale: 255, sampleShape: [28, 28, 1] };
    const scaled = await load(encodeModel(legacy, { loss: 'mse', optimizer: { name: 'adam' }, noise: 0, l1: 0, beta: 1, seed: 4 }));
    const got = scaled.imageToInput(stroke);
    for (let i = 0; i < 784; i++) expect(Math.abs(got[i]! - digit[i]!)).toBeLessThanOrEqual(2 ** -24);
    // A blank pad is still a DataError, and fit "fill" makes a stretched picture instead of a digit.
    await expect(scaled.reconstructImage({ width: 8, height: 8, data: new Uint8Array(64), channels: 1 })).rejects.toBeInstanceOf(DataError);
    expect(scaled.imageToInput(stroke, { fit: 'fill' }).length).toBe(784);
    legacy.dispose();
  });

  it('refuses pictures for models whose input is no picture, and options that do not fit', async () => {
    const table = await load(models.table.bytes);
    const picture = { width: 2, height: 2, data: new Uint8Array(4), channels: 1 };
    expect(() => table.imageToInput(picture)).toThrow(new ShapeError('imageToPixels: expected an image shape [height, width, channels] of positive integers, found [13]'));
    await expect(table.reconstructImage(picture)).rejects.toBeInstanceOf(ShapeError);
    expect(() => imageToInput(picture, { shape: [32, 32, 3], fit: 'digit' })).toThrow(new ArgumentError('imageToInput: fit "digit" makes 28 x 28 x 1 MNIST digits, the shape is [32, 32, 3]; use "fill" or "crop"'));
    expect(() => imageToInput(picture, { shape: [32, 32, 3], fit: 'zoom' as never })).toThrow(ArgumentError);
    const conv = await load(models.rgbConv.bytes);
    expect(() => conv.drawImage(null as never, new Float32Array(3071))).toThrow(new ShapeError('drawImage: output 0 of [32, 32, 3] needs 3072 values, found 3071'));
    expect(() => conv.drawImage(null as never, Array(3072).fill(0) as never)).toThrow(ShapeError);
  });
});

describe('displayRange', () => {
  it('keeps 8-bit pictures on their own scale and stretches data of unknown range', () => {
    const shape = [2];
    // A model's Normalization, as the browser model passes it.
    const norm = (n: Normalization): Normalization => n;
    expect(displayRange(null, [3, 4])).toEqual([0, 1]);
    expect(displayRange(norm({ kind: 'scale', scale: 255, sampleShape: shape }), [3, 4])).toEqual([0, 255]);
    expect(displayRange(norm({ kind: 'minmax', min: Float32Array.of(0, 3), max: Float32Array.of(200, 255), sampleShape: shape }), [3, 4])).toEqual([0, 255]);
    expect(displayRange(norm({ kind: 'minmax', min: Float32Array.of(-1, 3), max: Float32Array.of(200, 255), sampleShape: shape }), [3, 9])).toEqual([3, 9]);
    expect(displayRange(norm({ kind: 'standard', mean: Float32Array.of(0, 0), std: Float32Array.of(1, 1), sampleShape: shape }), [-2, 5])).toEqual([-2, 5]);
    expect(displayRange(norm({ kind: 'none', sampleShape: shape }), [7, 7])).toEqual([6.5, 7.5]);
    expect(displayRange(norm({ kind: 'none', sampleShape: shape }), [NaN, NaN])).toEqual([0, 1]);
  });
});
