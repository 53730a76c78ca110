// The conditional VAE from the command line: train --preset cvae builds it for the data's
// classes; sample --digit / --label / --grid, manifold --digit and decode --digit give what
// the library gives with those labels (a grid's row d is exactly sample --digit d); typed
// errors for a label flag on a model without labels, an unknown class, none on a cvae.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSplits } from '../../src/data/load.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { createKernels } from '../../src/kernels/node.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { loadModel, saveModel } from '../../src/models/node.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { decodePng } from '../../src/viz/index.js';
import { trainingRecord } from '../models/model-fixtures.js';
import { maxAbsDiff } from '../helpers.js';
import { comparisonGridSize, tiledGridSize } from '../../src/cli/pictures.js';
import { writeIdxDir } from './idx-fixture.js';
import { inProcess } from './in-process.js';

let tmp: string;
/** Trained by the CLI on 64 IDX digits (no label names). */
let cvae: string;
/** Untrained, with label names "zero".."nine" recorded (the flags need no training). */
let named: string;
let vae: string;
const at = (name: string) => join(tmp, name);

async function images(file: string): Promise<{ data: Float32Array; shape: readonly number[]; metadata: Record<string, string> }> {
  const { tensors, metadata } = decodeSafetensors(new Uint8Array(await readFile(file)));
  const t = tensors.get('images')!;
  return { data: t.data as Float32Array, shape: t.shape, metadata };
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ae-wasm-cvae-'));
  await writeIdxDir(at('data'), 64, 64);
  const r = await inProcess('train', '--preset', 'cvae', '--data', at('data'), '--epochs', '1', '--batch', '16', '--out', at('run'), '--quiet');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  cvae = at('run/model.safetensors');
  const kernels = await createKernels();
  const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
  const model = new Autoencoder(kernels, presetArchitecture('cvae')).initialize(2);
  model.preprocessing = { kind: 'none', sampleShape: [28, 28, 1], labels: names };
  named = at('named.safetensors');
  await saveModel(model, named, { training: trainingRecord('cvae', { loss: 'bce' }) });
  model.dispose();
  const plain = new Autoencoder(kernels, presetArchitecture('vae')).initialize(2);
  vae = at('vae.safetensors');
  await saveModel(plain, vae, { training: trainingRecord('vae', { loss: 'bce' }) });
  plain.dispose();
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('train --preset cvae', () => {
  it('builds the conditional VAE for the data\'s classes and records it', async () => {
    const model = await loadModel(cvae);
    expect(model.architecture.graph!.labels).toBe(10);
    expect(model.decoderReadsLabels).toBe(true);
    expect(model.training!.preset).toBe('cvae');
    model.dispose();
  });

  it('--loss and --beta set its loss terms; a resumed run trains to the same bytes as one straight through', async () => {
    const run = ['--data', at('data'), '--deterministic', '--threads', '1', '--quiet'];
    const fresh = ['train', '--preset', 'cvae', '--batch', '16', '--loss', 'mse', '--beta', '0.5', ...run];
    expect((await inProcess(...fresh, '--epochs', '2', '--out', at('straight'))).code).toBe(0);
    expect((await inProcess(...fresh, '--epochs', '1', '--checkpoint-every', '1', '--out', at('halves'))).code).toBe(0);
    const r = await inProcess('train', '--resume', at('halves/checkpoint.safetensors'), '--epochs', '2', ...run);
    expect(r.stderr).toBe('');
    const straight = await loadModel(at('straight/model.safetensors'));
    expect(straight.architecture.graph!.losses.map((t) => [t.kind, t.weight])).toEqual([['mse', 1], ['kl', 0.5]]);
    const resumed = await loadModel(at('halves/model.safetensors'));
    expect(resumed.params.list.map((p) => Array.from(resumed.params.read(p)))).toEqual(straight.params.list.map((p) => Array.from(straight.params.read(p))));
    straight.dispose();
    resumed.dispose();
  });

  it('refuses data without labels', async () => {
    await writeFile(at('table.csv'), 'a,b,c\n' + Array.from({ length: 40 }, (_, i) => `${i % 3},${i % 5},${i % 7}`).join('\n') + '\n');
    const r = await inProcess('train', '--preset', 'cvae', '--data', at('table.csv'), '--epochs', '1', '--out', at('table-run'), '--quiet');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/preset cvae needs class labels, but .*table\.csv.* has none \(a \.npy needs --labels FILE\.npy, a CSV --label-column NAME/);
  });
});

describe('sample, manifold and decode with a class', () => {
  it('sample --digit D decodes the prior codes as class D, exactly as the library does; --grid row D is the same images', async () => {
    expect((await inProcess('sample', '--model', cvae, '--n', '4', '--seed', '5', '--digit', '7', '--out', at('s7.safetensors'))).code).toBe(0);
    expect((await inProcess('sample', '--model', cvae, '--n', '4', '--seed', '5', '--grid', '--out', at('grid.safetensors'))).code).toBe(0);
    const one = await images(at('s7.safetensors'));
    const grid = await images(at('grid.safetensors'));
    expect(one.shape).toEqual([4, 28, 28, 1]);
    expect(one.metadata['label']).toBe('7');
    expect(grid.shape).toEqual([40, 28, 28, 1]);
    const model = await loadModel(cvae);
    expect(Array.from(one.data)).toEqual(Array.from(model.sample(4, 5, [7, 7, 7, 7])));
    // The same codes and class in a batch of 40 rather than 4: equal up to the kernels' rounding for another batch shape.
    expect(maxAbsDiff(grid.data.subarray(7 * 4 * 784, 8 * 4 * 784), one.data)).toBeLessThan(1e-5);
    // Rows differ by class: the label reaches the decoder.
    expect(Array.from(grid.data.subarray(0, 4 * 784))).not.toEqual(Array.from(one.data));
    model.dispose();
  });

  it('sample --grid --out .png draws one labelled row per class; .csv starts each row with its label', async () => {
    expect((await inProcess('sample', '--model', cvae, '--n', '3', '--grid', '--out', at('grid.png'))).code).toBe(0);
    expect((await inProcess('sample', '--model', cvae, '--n', '3', '--out', at('s1.png'), '--digit', '1')).code).toBe(0);
    const grid = decodePng(new Uint8Array(await readFile(at('grid.png'))));
    const size = { height: 28, width: 28, channels: 1 } as const;
    const rows = Array.from({ length: 10 }, (_, d) => String(d));
    expect({ width: grid.width, height: grid.height }).toEqual(comparisonGridSize(rows, 3, size, 'cvae: prior samples, one row per class, seed 0'));
    const single = decodePng(new Uint8Array(await readFile(at('s1.png'))));
    expect({ width: single.width, height: single.height }).toEqual(tiledGridSize(3, size, 'cvae: prior samples of class 1, seed 0'));
    expect((await inProcess('sample', '--model', cvae, '--n', '2', '--grid', '--out', at('grid.csv'))).code).toBe(0);
    const lines = (await readFile(at('grid.csv'), 'utf8')).trim().split('\n');
    expect(lines[0]!.startsWith('label,x0,')).toBe(true);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['0', '0', '1', '1', '2', '2', '3', '3', '4', '4', '5', '5', '6', '6', '7', '7', '8', '8', '9', '9']);
  });

  it('--label NAME picks the class by the recorded label names', async () => {
    expect((await inProcess('sample', '--model', named, '--n', '2', '--label', 'seven', '--out', at('seven.safetensors'))).code).toBe(0);
    expect((await inProcess('sample', '--model', named, '--n', '2', '--digit', '7', '--out', at('d7.safetensors'))).code).toBe(0);
    expect(Array.from((await images(at('seven.safetensors'))).data)).toEqual(Array.from((await images(at('d7.safetensors'))).data));
  });

  it('manifold --digit D and decode --digit D decode as class D', async () => {
    expect((await inProcess('manifold', '--model', cvae, '--size', '3', '--digit', '4', '--out', at('m4.safetensors'))).code).toBe(0);
    const { tensors } = decodeSafetensors(new Uint8Array(await readFile(at('m4.safetensors'))));
    const codes = tensors.get('codes')!.data as Float32Array;
    const model = await loadModel(cvae);
    const four = new Array(9).fill(4);
    expect(Array.from(tensors.get('images')!.data as Float32Array)).toEqual(Array.from(model.decode(codes, four)));
    await writeFile(at('codes.safetensors'), encodeSafetensors([{ name: 'codes', dtype: 'F32', shape: [9, 2], data: codes }]));
    expect((await inProcess('decode', '--model', cvae, '--codes', at('codes.safetensors'), '--digit', '4', '--out', at('d4.safetensors'))).code).toBe(0);
    expect(Array.from((await images(at('d4.safetensors'))).data)).toEqual(Array.from(model.decode(codes, four)));
    expect(Array.from(model.decode(codes, four))).not.toEqual(Array.from(model.decode(codes, new Array(9).fill(5))));
    model.dispose();
  });
});

describe('commands that run the encoder read the data\'s labels', () => {
  it('eval, encode and reconstruct give what the library gives with the test labels', async () => {
    const ev = await inProcess('eval', '--model', cvae, '--data', at('data'), '--json');
    expect(ev.stderr).toBe('');
    expect(ev.code).toBe(0);
    const metrics = JSON.parse(ev.stdout) as Record<string, number>;
    const kernels = await createKernels();
    const model = await loadModel(cvae, { kernels });
    try {
      const splits = await loadSplits({ data: at('data'), preprocessing: model.preprocessing });
      const test = splits.test;
      const recon = model.reconstruct(test.images, test.labels);
      let sq = 0;
      for (let i = 0; i < recon.length; i++) sq += (recon[i]! - test.images[i]!) ** 2;
      expect(metrics['mse']).toBeCloseTo(sq / recon.length, 6);
      // A Kernels instance where the options go is refused (it once made a broken instance).
      await expect(loadModel(cvae, kernels as never)).rejects.toThrow(/pass kernels as loadModel\(source, \{ kernels \}\)/);
      expect(metrics['nelbo']).toBeGreaterThan(0);
      // The label matters: the same images with other labels reconstruct differently.
      const other = model.reconstruct(test.images, Uint8Array.from(test.labels, (l) => (l + 1) % 10));
      expect(maxAbsDiff(other, recon)).toBeGreaterThan(1e-3);

      const enc = await inProcess('encode', '--model', cvae, '--data', at('data'), '--out', at('codes.npy'));
      expect(enc.stderr).toBe('');
      expect(enc.code).toBe(0);
      const rec = await inProcess('reconstruct', '--model', cvae, '--data', at('data'), '--out', at('recon.safetensors'));
      expect(rec.stderr).toBe('');
      expect(rec.code).toBe(0);
      const got = await images(at('recon.safetensors'));
      expect(got.data.length).toBeGreaterThan(0);
    } finally {
      model.dispose();
    }
  });
});

describe('denoise, anomaly, compress, interpolate and reconstruct --input on a cvae', () => {
  /** The model and the test split as it reads them; `use` runs with both, then disposes. */
  async function withModel(use: (model: Autoencoder, test: { images: Float32Array; labels: Uint8Array; n: number }) => Promise<void>): Promise<void> {
    const model = await loadModel(cvae, { kernels: await createKernels() });
    try {
      const splits = await loadSplits({ data: at('data'), preprocessing: model.preprocessing });
      await use(model, splits.test);
    } finally {
      model.dispose();
    }
  }
  const mse = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / a.length;

  it('denoise and anomaly reconstruct each test sample with its own label', async () => {
    const dn = await inProcess('denoise', '--model', cvae, '--data', at('data'), '--n', '8', '--json', '--out', at('denoised.safetensors'));
    expect(dn.stderr).toBe('');
    const figures = JSON.parse(dn.stdout) as Record<string, number>;
    const an = await inProcess('anomaly', '--model', cvae, '--data', at('data'), '--json');
    expect(an.stderr).toBe('');
    const report = JSON.parse(an.stdout) as Record<string, number>;
    await withModel(async (model, test) => {
      const clean = test.images.subarray(0, 8 * model.inputSize);
      expect(figures['mse_clean']).toBeCloseTo(mse(model.reconstruct(clean, test.labels.subarray(0, 8)), clean), 6);
      // The mean MSE score over the test split is the mean reconstruction MSE, labels given.
      expect(report['mean_score']).toBeCloseTo(mse(model.reconstruct(test.images, test.labels), test.images), 5);
    });
  });

  it('compress stores the labels the conditional decoder needs; decompress decodes with them', async () => {
    const c = await inProcess('compress', '--model', cvae, '--data', at('data'), '--out', at('codes.aec'), '--json');
    expect(c.stderr).toBe('');
    const figures = JSON.parse(c.stdout) as Record<string, number>;
    const d = await inProcess('decompress', at('codes.aec'), '--model', cvae, '--out', at('decompressed.safetensors'));
    expect(d.stderr).toBe('');
    const { tensors } = decodeSafetensors(new Uint8Array(await readFile(at('decompressed.safetensors'))));
    await withModel(async (_model, test) => {
      expect(Array.from(tensors.get('labels')!.data as Uint8Array)).toEqual(Array.from(test.labels));
      expect(mse(tensors.get('images')!.data as Float32Array, test.images)).toBeCloseTo(figures['mse']!, 6);
    });
  });

  it('interpolate decodes every step as the class both ends share, or as --digit; ends of two classes need one', async () => {
    await withModel(async (model, test) => {
      const first = test.labels[0]!;
      const same = test.labels.findIndex((l, i) => i > 0 && l === first);
      const other = test.labels.findIndex((l) => l !== first);
      const ok = await inProcess('interpolate', '--model', cvae, '--data', at('data'), '--from', '0', '--to', String(same), '--steps', '3', '--out', at('same.safetensors'));
      expect(ok.stderr).toBe('');
      const refused = await inProcess('interpolate', '--model', cvae, '--data', at('data'), '--from', '0', '--to', String(other), '--steps', '3', '--out', at('never.safetensors'));
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(new RegExp(`conditional VAE, which decodes every step as one class, but test #0 is a ${first} and #${other} a ${test.labels[other]}; pass --digit D`));
      const as3 = await inProcess('interpolate', '--model', cvae, '--data', at('data'), '--from', '0', '--to', String(other), '--steps', '3', '--digit', '3', '--out', at('as3.safetensors'));
      expect(as3.stderr).toBe('');
      const { tensors } = decodeSafetensors(new Uint8Array(await readFile(at('as3.safetensors'))));
      const codes = tensors.get('codes')!.data as Float32Array;
      expect(maxAbsDiff(tensors.get('images')!.data as Float32Array, model.decode(codes, new Int32Array(3).fill(3)))).toBeLessThan(1e-6);
      // Each end is encoded with its own label.
      const size = model.inputSize;
      const end = model.encode(test.images.subarray(other * size, (other + 1) * size), [test.labels[other]!]);
      expect(maxAbsDiff(codes.subarray(2 * model.codeSize), end)).toBeLessThan(1e-6);
    });
  });

  it('reconstruct --input reads the class of the pictures from --digit; test samples keep their own', async () => {
    await withModel(async (model, test) => {
      const digit = Uint8Array.from(test.images.subarray(0, model.inputSize), (v) => Math.round(v * 255));
      await writeFile(at('digit.png'), encodePng({ width: 28, height: 28, data: digit, channels: 1, depth: 8 }));
    });
    const runs = await Promise.all(['3', '5'].map((d) => inProcess('reconstruct', '--model', cvae, '--input', at('digit.png'), '--digit', d, '--out', at(`input-${d}.safetensors`))));
    for (const r of runs) expect(r.stderr).toBe('');
    const [as3, as5] = [await images(at('input-3.safetensors')), await images(at('input-5.safetensors'))];
    expect(maxAbsDiff(as3.data, as5.data)).toBeGreaterThan(1e-3);
    const none = await inProcess('reconstruct', '--model', cvae, '--input', at('digit.png'), '--out', at('never.safetensors'));
    expect(none.stderr).toMatch(/reconstruct --input: .*model\.safetensors is a conditional VAE: pass --digit D or --label NAME/);
    const data = await inProcess('reconstruct', '--model', cvae, '--data', at('data'), '--digit', '3', '--out', at('never.safetensors'));
    expect(data.stderr).toMatch(/reconstruct --digit goes with --input: test samples are reconstructed with their own labels/);
    await expect(readFile(at('never.safetensors'))).rejects.toThrow();
  });
});

describe('label flags: typed errors', () => {
  it.each([
    ['--digit on a model without labels', () => ['sample', '--model', vae, '--n', '2', '--digit', '3'], /sample --digit 3 needs a conditional VAE \(a decoder that reads the label\), but .*vae\.safetensors is a VAE with a 2-D latent \(preset vae\); train one with --preset cvae/],
    ['--grid on a model without labels', () => ['sample', '--model', vae, '--n', '2', '--grid'], /sample --grid needs a conditional VAE/],
    ['manifold --digit on a model without labels', () => ['manifold', '--model', vae, '--digit', '3'], /manifold --digit 3 needs a conditional VAE/],
    ['a class beyond the model\'s', () => ['sample', '--model', cvae, '--n', '2', '--digit', '10'], /--digit 10: .*model\.safetensors has classes 0\.\.9$/m],
    ['an unknown label name', () => ['sample', '--model', named, '--n', '2', '--label', 'cat'], /--label cat: not a class of .*named\.safetensors; its classes are 0\.\.9 \(named "zero", "one", /],
    ['--label on a model without names', () => ['decode', '--model', cvae, '--codes', at('codes.safetensors'), '--label', '4'], /--label 4: .* records no label names; give the class as --digit 0\.\.9/],
    ['no class for a cvae', () => ['manifold', '--model', cvae], /manifold: .*model\.safetensors is a conditional VAE: pass --digit D or --label NAME for the class to decode \(classes 0\.\.9\)/],
    ['--grid with --digit', () => ['sample', '--model', cvae, '--n', '2', '--grid', '--digit', '1'], /sample --grid draws every class; leave out --digit/],
  ] as const)('%s', async (_what, args, message) => {
    const r = await inProcess(...args(), '--out', at('never.safetensors'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    await expect(readFile(at('never.safetensors'))).rejects.toThrow();
  });

  it('--digit and --label together are refused by the parser', async () => {
    const r = await inProcess('sample', '--model', cvae, '--n', '2', '--digit', '1', '--label', '1', '--out', at('never.png'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/option '--label <name>' cannot be used with option '--digit <d>'/);
  });
});
