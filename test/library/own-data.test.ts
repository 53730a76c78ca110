// Bring your own data through the library's public API only: a CSV table with a label
// column and a folder of 16x16 RGB PNGs, each loaded, normalised, trained, evaluated,
// saved and loaded back with its preprocessing intact and identical reconstructions.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createModel,
  evaluate,
  legacyPreprocessing,
  loadData,
  loadModel,
  loadSplits,
  prepare,
  saveModel,
  train,
  type Autoencoder,
  type Normalization,
  type PreparedSplits,
  type SampleArray,
} from '../../src/index.js';
import { writeImage } from '../data/sources/fixtures.js';

let dir: string;
const at = (...p: string[]) => path.join(dir, ...p);
/** The test data's own generator (mulberry32): the library API is all this file imports from src. */
type Rng = () => number;
function rngOf(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
const uniform = (rng: Rng) => rng();

/** 5 columns of very different scales on a 2-D manifold, and a text label column. */
function csvText(n: number): string {
  const rng = rngOf(3);
  const rows = ['x,y,kind,z,w,v'];
  for (let i = 0; i < n; i++) {
    const s = uniform(rng) * 2 - 1;
    const t = uniform(rng) * 2 - 1;
    rows.push([(1000 + 200 * s).toFixed(3), (-4 * t).toFixed(5), s > 0 ? 'up' : 'down', (s + t).toFixed(5), (0.01 * s * t).toFixed(7), (3 * s - t).toFixed(5)].join(','));
  }
  return `${rows.join('\n')}\n`;
}

/** A 16x16 RGB picture: a soft blob of the class's colour at a random place. */
function blob(rng: Rng, cls: number): Uint8Array {
  const px = new Uint8Array(16 * 16 * 3);
  const cx = 4 + uniform(rng) * 8;
  const cy = 4 + uniform(rng) * 8;
  for (let y = 0; y < 16; y++) {
    for (let x = 0; x < 16; x++) {
      const v = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 12);
      for (let c = 0; c < 3; c++) px[(y * 16 + x) * 3 + c] = Math.round(255 * v * (c === cls ? 1 : 0.3));
    }
  }
  return px;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ae-wasm-library-'));
  writeFileSync(at('table.csv'), csvText(160));
  const rng = rngOf(4);
  for (const [cls, name] of ['red', 'green', 'blue'].entries()) {
    for (let k = 0; k < 12; k++) await writeImage(at('rgb', name, `${k}.png`), blob(rng, cls), 16, 16, 3);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bits = (a: Float32Array | undefined) => (a ? Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length)) : undefined);

function expectSamePreprocessing(a: Normalization | null, b: Normalization): void {
  expect(a).not.toBeNull();
  expect({ ...a!, min: bits(a!.min), max: bits(a!.max), mean: bits(a!.mean), std: bits(a!.std) }).toEqual({ ...b, min: bits(b.min), max: bits(b.max), mean: bits(b.mean), std: bits(b.std) });
}

/** Trains `model` on `splits`, then checks evaluate, the save/load round trip and reconstructions in the data's units. */
async function trainSaveLoad(model: Autoencoder, splits: PreparedSplits, file: string, raw: SampleArray, preset: string): Promise<Autoencoder> {
  const before = evaluate(model, splits.test).mse;
  model.preprocessing = splits.normalization;
  const history = await train(model, splits, { epochs: 6, batchSize: 16, seed: 2 });
  expect(history.epochs.length).toBe(6);
  const after = evaluate(model, splits.test);
  expect(Number.isFinite(after.mse)).toBe(true);
  expect(after.mse).toBeLessThan(before); // training on this data helps on its test split

  // As the README's library example: the record of how it was trained goes with the file.
  model.training = { preset, loss: 'mse', optimizer: { name: 'adam' }, noise: 0, l1: 0, beta: 1, seed: 2, epochs: 6, batch_size: 16, data: splits.source };
  await saveModel(model, file);
  const loaded = await loadModel(file);
  expectSamePreprocessing(loaded.preprocessing, splits.normalization);
  expect(loaded.inputShape).toEqual(splits.train.shape);
  expect(loaded.reconstruct(splits.test.images)).toEqual(model.reconstruct(splits.test.images));
  expect(evaluate(loaded, splits.test)).toEqual(after);
  // In the data's own units: normalise with the stored statistics, reconstruct, undo.
  const inData = (m: Autoencoder) => m.denormalize(m.reconstruct(m.normalize(raw)));
  expect(loaded.normalize(raw)).toEqual(splits.test.images);
  expect(inData(loaded)).toEqual(inData(model));
  // The loaded model's preprocessing prepares new data exactly as the fitted one did.
  return loaded;
}

describe('own data through the library', () => {
  it('CSV with a label column -> dense (linear output) -> train -> evaluate -> save/load', async () => {
    const splits = await loadSplits({ data: at('table.csv'), labelColumn: 'kind', seed: 7 });
    expect(splits.kind).toBe('table');
    expect(splits.train.shape).toEqual([5]);
    expect(splits.featureNames).toEqual(['x', 'y', 'z', 'w', 'v']);
    expect(splits.labelNames).toEqual(['down', 'up']);
    expect([splits.train.n, splits.test.n]).toEqual([128, 32]);
    expect(splits.normalization.kind).toBe('standard');
    // Standardised on the training split: each feature has mean ~0 and std ~1 there.
    for (let f = 0; f < 5; f++) {
      let s = 0;
      let q = 0;
      for (let i = 0; i < splits.train.n; i++) s += splits.train.images[i * 5 + f]!;
      for (let i = 0; i < splits.train.n; i++) q += (splits.train.images[i * 5 + f]! - s / splits.train.n) ** 2;
      expect(Math.abs(s / splits.train.n)).toBeLessThan(1e-5);
      expect(Math.abs(Math.sqrt(q / splits.train.n) - 1)).toBeLessThan(1e-5);
    }
    const model = await createModel('dense', { inputShape: splits.train.shape, output: 'linear', latent: 2, seed: 1 });
    const raw = (await loadData(at('table.csv'), { labelColumn: 'kind', seed: 7 })).test.data;
    const loaded = await trainSaveLoad(model, splits, at('table.safetensors'), raw, 'dense');
    const again = prepare(await loadData(at('table.csv'), { labelColumn: 'kind', seed: 7 }), { preprocessing: loaded.preprocessing });
    expect(again.train.images).toEqual(splits.train.images);
    expect(again.normalization).toBe(loaded.preprocessing);
    // Reconstructions in the data's units are in the table's own scale (column x is ~1000).
    const rec = loaded.denormalize(loaded.reconstruct(splits.test.images));
    for (let i = 0; i < splits.test.n; i++) expect(Math.abs(rec[i * 5]! - 1000)).toBeLessThan(500);
    model.dispose();
    loaded.dispose();
  });

  it('a folder of 16x16 RGB PNGs -> conv -> train -> evaluate -> save/load', async () => {
    const splits = await loadSplits({ data: at('rgb'), seed: 3 });
    expect(splits.kind).toBe('images');
    expect(splits.train.shape).toEqual([16, 16, 3]);
    expect(splits.labelNames).toEqual(['blue', 'green', 'red']);
    expect(splits.normalization).toEqual({ kind: 'scale', scale: 255, sampleShape: [16, 16, 3], labels: ['blue', 'green', 'red'] });
    const model = await createModel('conv', { inputShape: splits.train.shape, seed: 1 });
    expect(model.outputShape).toEqual([16, 16, 3]);
    const raw = (await loadData(at('rgb'), { seed: 3 })).test.data;
    const loaded = await trainSaveLoad(model, splits, at('rgb.safetensors'), raw, 'conv');
    // A file without preprocessing stands for uint8 / 255: the same model space here.
    expect(prepare(await loadData(at('rgb'), { seed: 3 }), { preprocessing: legacyPreprocessing('uint8', [16, 16, 3]) }).test.images).toEqual(splits.test.images);
    model.dispose();
    loaded.dispose();
  });
});
