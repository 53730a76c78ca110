// ae-wasm pca-compare on a table with a planted 3-D subspace: the trained linear autoencoder
// approaches PCA (ratio near 1, angles near 0) and never beats it on the training split; an
// autoencoder whose weights are PCA's itself scores ratio 1 and angles 0; --model reproduces
// the fresh run of the same settings; and the flags and models it refuses.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitPca } from '../../src/analysis/pca.js';
import { comparePca, TRAIN_RATIO_SLACK, type PcaComparison } from '../../src/cli/pca-compare.js';
import type { Dataset } from '../../src/data/dataset.js';
import { createKernels } from '../../src/kernels/node.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { saveModel } from '../../src/models/node.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { inProcess } from './in-process.js';
import type { Run } from './run-cli.js';

const DIM = 12;
const N = 1000;

let tmp: string;
let table: string;

const show = (r: Run): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** Rows x = 2 + A z + 0.5 e, z in R^3 and e in R^12 standard normal (a seeded LCG + Box-Muller). */
function plantedRows(): number[][] {
  let s = 12345;
  const u = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const g = (): number => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const a = Array.from({ length: 3 }, () => Array.from({ length: DIM }, g));
  return Array.from({ length: N }, () => {
    const z = [3 * g(), 2 * g(), g()];
    return Array.from({ length: DIM }, (_, j) => 2 + z[0]! * a[0]![j]! + z[1]! * a[1]![j]! + z[2]! * a[2]![j]! + 0.5 * g());
  });
}

async function compare(...args: string[]): Promise<PcaComparison> {
  const r = await inProcess('pca-compare', '--json', '--threads', '1', ...args);
  expect(r.code, show(r)).toBe(0);
  return JSON.parse(r.stdout) as PcaComparison;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ae-wasm-pca-'));
  table = join(tmp, 'planted.csv');
  const header = Array.from({ length: DIM }, (_, j) => `f${j}`).join(',');
  await writeFile(table, [header, ...plantedRows().map((r) => r.map((v) => v.toFixed(6)).join(','))].join('\n') + '\n');
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('pca-compare', () => {
  it('the linear autoencoder approaches PCA on a planted subspace, and never beats it on the training split', async () => {
    const early = await compare('--data', table, '--latent', '3', '--epochs', '2', '--lr', '0.01');
    const late = await compare('--data', table, '--latent', '3', '--epochs', '60', '--lr', '0.01');
    for (const f of [early, late]) {
      expect(f.latent).toBe(3);
      expect(f.n_train + f.n_test).toBe(N);
      expect(f.angles).toHaveLength(3);
      expect(f.train_ratio).toBeGreaterThanOrEqual(1 - TRAIN_RATIO_SLACK);
      expect(f.ratio).toBeCloseTo(f.ae_test_mse / f.pca_test_mse, 12);
      expect(f.max_angle).toBe(Math.max(...f.angles));
    }
    // Three directions hold most of the variance (noise 0.5 against signals of 1 to 3).
    expect(late.explained_variance).toBeGreaterThan(0.8);
    expect(late.ratio).toBeLessThan(early.ratio);
    expect(late.max_angle).toBeLessThan(early.max_angle);
    expect(late.ratio).toBeLessThan(1.1);
    expect(late.max_angle).toBeLessThan(3);
  });

  it('an autoencoder holding PCA\'s own weights scores ratio 1 and angles 0; a worse decoder scores worse', async () => {
    const kernels = await createKernels({ backend: 'js' });
    const rows = plantedRows();
    const images = Float32Array.from(rows.flat());
    const ds = (from: number, n: number): Dataset => ({ images: images.subarray(from * DIM, (from + n) * DIM), labels: new Uint8Array(n), n, shape: [DIM] });
    const splits = { train: ds(0, 500), test: ds(500, 100), source: 'planted' };
    const pca = fitPca(splits.train.images, 500, DIM);
    const model = new Autoencoder(kernels, presetArchitecture('linear', { latent: 3, inputShape: [DIM] })).initialize(0);
    // code = C (x - mean), x' = C^T code + mean: encoder kernel [DIM, 3] = C^T, decoder kernel [3, DIM] = C.
    const set = (name: string, values: ArrayLike<number>): void => kernels.heap.write(model.params.get(name)!.value, values);
    const enc = new Float64Array(DIM * 3);
    const dec = new Float64Array(3 * DIM);
    const encBias = new Float64Array(3);
    for (let c = 0; c < 3; c++) {
      for (let j = 0; j < DIM; j++) {
        enc[j * 3 + c] = pca.components[c]![j]!;
        dec[c * DIM + j] = pca.components[c]![j]!;
        encBias[c]! -= pca.components[c]![j]! * pca.mean[j]!;
      }
    }
    set('encoder.1.kernel', enc);
    set('encoder.1.bias', encBias);
    set('decoder.0.kernel', dec);
    set('decoder.0.bias', pca.mean);
    const exact = comparePca(model, splits, pca, null);
    expect(Math.abs(exact.train_ratio - 1)).toBeLessThan(1e-4);
    expect(Math.abs(exact.ratio - 1)).toBeLessThan(1e-4);
    expect(exact.max_angle).toBeLessThan(1e-3);
    // Swap the third decoder direction for the fourth principal direction: 90 degrees off in one.
    for (let j = 0; j < DIM; j++) dec[2 * DIM + j] = pca.components[3]![j]!;
    set('decoder.0.kernel', dec);
    const off = comparePca(model, splits, pca, null);
    expect(off.max_angle).toBeCloseTo(90, 3);
    expect(off.angles[0]).toBeLessThan(1e-3);
    expect(off.train_ratio).toBeGreaterThan(1.5);
    model.dispose();
  });

  it('--model reproduces the run that trained the same model, and refuses models that are not linear', async () => {
    const out = join(tmp, 'linear');
    const t = await inProcess('train', '--preset', 'linear', '--latent', '3', '--data', table, '--epochs', '5', '--threads', '1', '--quiet', '--out', out);
    expect(t.code, show(t)).toBe(0);
    const fresh = await compare('--data', table, '--latent', '3', '--epochs', '5');
    const loaded = await compare('--data', table, '--model', join(out, 'model.safetensors'));
    expect(loaded).toEqual(fresh);
    const text = await inProcess('pca-compare', '--data', table, '--model', join(out, 'model.safetensors'), '--threads', '1');
    expect(text.stdout).toMatch(/test MSE +PCA [\d.e-]+ +autoencoder [\d.e-]+ +ratio \d+\.\d{4}\n/);
    expect(text.stdout).toMatch(/principal angles, decoder columns vs top-3 principal directions: largest [\d.]+°, mean [\d.]+°/);

    const kernels = await createKernels({ backend: 'js' });
    const dense = new Autoencoder(kernels, presetArchitecture('dense', { latent: 3, inputShape: [DIM], output: 'linear' })).initialize(0);
    const denseFile = join(tmp, 'dense.safetensors');
    await saveModel(dense, denseFile, { training: { preset: 'dense', loss: 'mse', optimizer: { name: 'adam' }, noise: 0, l1: 0, beta: 1, seed: 0 } });
    dense.dispose();
    const cases: [string[], RegExp][] = [
      [['--model', denseFile], /needs a linear autoencoder .* has activation "relu" in its encoder's Dense layer/],
      [['--model', join(out, 'model.safetensors'), '--epochs', '3'], /--epochs trains a model: it goes without --model/],
      [['--model', join(out, 'model.safetensors'), '--latent', '4'], /--latent 4 does not match .*, whose code has 3 values/],
      [[], /pca-compare needs --latent K \(or --model of a trained linear autoencoder\)/],
      [['--latent', '0'], /--latent/],
    ];
    for (const [args, message] of cases) {
      const r = await inProcess('pca-compare', '--data', table, ...args);
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});
