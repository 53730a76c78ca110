// train --preset ae-classifier, eval's classifier figures and --confusion, and predict, end
// to end through main() on one model trained here (one epoch on the bundled digits): the
// CSV parses back to exactly the library's probabilities, eval's JSON agrees with a
// confusion matrix computed here from those probabilities, the picture decodes at the
// layout's size, and every refusal names what it expected.
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundledSplits } from '../../src/data/bundled.js';
import type { Dataset } from '../../src/data/dataset.js';
import { parseCsv } from '../../src/data/sources/csv.js';
import { encodeNpy } from '../../src/data/sources/npy.js';
import { JsKernels } from '../../src/kernels/js.js';
import { createKernels } from '../../src/kernels/node.js';
import type { Autoencoder } from '../../src/models/autoencoder.js';
import { decodeModel } from '../../src/models/model-file.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { confusionLayout } from '../../src/viz/confusion.js';
import { decodePng } from '../../src/viz/index.js';
import { modelFile } from '../models/model-fixtures.js';
import { inProcess } from './in-process.js';
import type { Run } from './run-cli.js';

const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const K = 10;

let tmp: string;
let modelPath: string;
let densePath: string;
let trainRun: Run;
let model: Autoencoder;
let test: Dataset;
let trainSplit: Dataset;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ae-predict-'));
  trainRun = await inProcess('train', '--preset', 'ae-classifier', '--epochs', '1', '--val-split', '0.1', '--threads', '1', '--out', join(tmp, 'run'));
  expect(trainRun.code, show(trainRun)).toBe(0);
  modelPath = join(tmp, 'run', 'model.safetensors');
  model = decodeModel(new Uint8Array(await readFile(modelPath)), await createKernels({ threads: 1 }), modelPath).model;
  densePath = join(tmp, 'dense.safetensors');
  await writeFile(densePath, modelFile(new JsKernels('f32'), 'dense'));
  const splits = await loadBundledSplits();
  test = splits.test;
  trainSplit = splits.train;
}, 120_000);

afterAll(async () => {
  model?.dispose();
  await rm(tmp, { recursive: true, force: true });
});

/** The CSV predict wrote, parsed back as the library's own CSV reader does. */
async function readPredictions(file: string) {
  return parseCsv(new Uint8Array(await readFile(file)), file);
}

describe('train --preset ae-classifier', () => {
  it('reports mse and accuracy on the training, validation and test splits per epoch, in the line and history.json', async () => {
    const line = trainRun.stdout.split('\n').find((l) => l.startsWith('epoch 1/1'))!;
    const history = JSON.parse(await readFile(join(tmp, 'run', 'history.json'), 'utf8')) as { epochs: Record<string, number>[] };
    const e = history.epochs[0]!;
    for (const key of ['mse', 'accuracy', 'val_mse', 'val_accuracy', 'test_accuracy', 'test_mse']) expect(e[key], key).toBeTypeOf('number');
    expect(line).toContain(`mse ${e['mse']!.toFixed(5)}`);
    expect(line).toContain(`accuracy ${e['accuracy']!.toFixed(4)}`);
    expect(line).toContain(`val_accuracy ${e['val_accuracy']!.toFixed(4)}`);
    expect(line).toContain(`test_accuracy ${e['test_accuracy']!.toFixed(4)}`);
    expect(trainRun.stdout).toContain(`test accuracy ${e['test_accuracy']!.toFixed(4)} after 1 epoch`);
    // One epoch on 7,200 digits is far above chance.
    expect(e['test_accuracy']!).toBeGreaterThan(0.85);
    expect(model.labelCount).toBe(10);
    expect(model.training!.preset).toBe('ae-classifier');
  });

  it('trains on --data with labels: labels = their class count (a CSV label column, an .npy with --labels)', async () => {
    const rows = ['a,b,c,d,kind', ...Array.from({ length: 60 }, (_, i) => `${i % 3},${(i * 7) % 5},${i % 2},${(i * 3) % 4},${['x', 'y', 'z'][i % 3]}`)];
    const csv = join(tmp, 'three.csv');
    await writeFile(csv, rows.join('\n') + '\n');
    const r = await inProcess('train', '--preset', 'ae-classifier', '--data', csv, '--label-column', 'kind', '--epochs', '1', '--threads', '1', '--quiet', '--out', join(tmp, 'three-csv'));
    expect(r.code, show(r)).toBe(0);
    const path = join(tmp, 'three-csv', 'model.safetensors');
    const m = decodeModel(new Uint8Array(await readFile(path)), new JsKernels('f32'), path).model;
    expect(m.labelCount).toBe(3);
    expect(m.architecture.parts['classifier']![1]!.config['units']).toBe(3);
    m.dispose();
    await writeFile(join(tmp, 'four.npy'), encodeNpy(Float32Array.from({ length: 200 }, (_, i) => (i * 37) % 11), [50, 4]));
    await writeFile(join(tmp, 'four-labels.npy'), encodeNpy(Int32Array.from({ length: 50 }, (_, i) => i % 4), [50]));
    const npy = await inProcess('train', '--preset', 'ae-classifier', '--data', join(tmp, 'four.npy'), '--labels', join(tmp, 'four-labels.npy'), '--epochs', '1', '--threads', '1', '--quiet', '--out', join(tmp, 'four'));
    expect(npy.code, show(npy)).toBe(0);
    const p = await inProcess('predict', '--model', join(tmp, 'four', 'model.safetensors'), '--data', join(tmp, 'four.npy'), '--labels', join(tmp, 'four-labels.npy'), '--out', join(tmp, 'four.csv'));
    expect(p.code, show(p)).toBe(0);
    expect((await readPredictions(join(tmp, 'four.csv'))).featureNames).toEqual(['index', 'label', 'class', 'p0', 'p1', 'p2', 'p3']);
  });

  it('refuses data without labels, the default wiring\'s loss flags and --latent', async () => {
    const csv = join(tmp, 'unlabelled.csv');
    await writeFile(csv, ['a,b,c', '0,1,2', '1,2,3', '2,3,4', '3,4,5', '4,5,6'].join('\n') + '\n');
    const r = await inProcess('train', '--preset', 'ae-classifier', '--data', csv, '--epochs', '1', '--out', join(tmp, 'never'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/preset ae-classifier needs class labels, but .*unlabelled\.csv.* has none \(a \.npy needs --labels FILE\.npy, a CSV --label-column NAME/);
    // Any architecture whose graph reads labels: an --arch record too.
    const arch = join(tmp, 'clf.json');
    await writeFile(arch, JSON.stringify(presetArchitecture('ae-classifier', { inputShape: [4], labels: 4 })));
    const own = await inProcess('train', '--arch', arch, '--data', join(tmp, 'four.npy'), '--epochs', '1', '--out', join(tmp, 'never'));
    expect(own.code, show(own)).toBe(1);
    expect(own.stderr).toMatch(/this model's graph \(it reads labels\) needs class labels, but .*four\.npy.* has none/);
    const loss = await inProcess('train', '--preset', 'ae-classifier', '--loss', 'bce', '--out', join(tmp, 'never'));
    expect(loss.code).toBe(2);
    expect(loss.stderr).toContain('--loss does not apply to preset ae-classifier: its graph sets its loss terms');
    const latent = await inProcess('train', '--preset', 'ae-classifier', '--latent', '8', '--out', join(tmp, 'never'));
    expect(latent.code).toBe(2);
    expect(latent.stderr).toContain('--latent does not apply to preset ae-classifier');
  });
});

describe('predict', () => {
  it('writes index, label, class, p0..p9 per test digit: exactly the library\'s float32 probabilities, rows summing to 1, class their argmax', async () => {
    const out = join(tmp, 'preds.csv');
    const r = await inProcess('predict', '--model', modelPath, '--out', out, '--threads', '1');
    expect(r.code, show(r)).toBe(0);
    const table = await readPredictions(out);
    expect(table.featureNames).toEqual(['index', 'label', 'class', ...Array.from({ length: K }, (_, c) => `p${c}`)]);
    expect(table.n).toBe(test.n);
    const probs = model.predict(test.images);
    let right = 0;
    for (let r = 0; r < table.n; r++) {
      const row = table.data.subarray(r * 13, (r + 1) * 13);
      expect(row[0]).toBe(r);
      expect(row[1]).toBe(test.labels[r]);
      const p = Array.from(row.subarray(3)).map((v) => Math.fround(v));
      expect(p).toEqual(Array.from(probs.subarray(r * K, (r + 1) * K)));
      expect(row[2]).toBe(p.indexOf(Math.max(...p)));
      expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
      if (row[2] === row[1]) right++;
    }
    expect(r.stdout).toContain(`accuracy ${(right / test.n).toFixed(4)} on ${test.n} samples`);
  });

  it('--split all: the training digits, then the test digits, one index running on', async () => {
    const out = join(tmp, 'all.csv');
    const r = await inProcess('predict', '--model', modelPath, '--split', 'all', '--out', out, '--threads', '1');
    expect(r.code, show(r)).toBe(0);
    const table = await readPredictions(out);
    expect(table.n).toBe(trainSplit.n + test.n);
    const at = (row: number, col: number) => table.data[row * 13 + col];
    expect([at(0, 0), at(0, 1)]).toEqual([0, trainSplit.labels[0]]);
    expect([at(trainSplit.n, 0), at(trainSplit.n, 1)]).toEqual([trainSplit.n, test.labels[0]]);
    expect(at(table.n - 1, 0)).toBe(table.n - 1);
  });

  it('leaves out the label column for data without labels', async () => {
    const r = await inProcess('predict', '--model', join(tmp, 'four', 'model.safetensors'), '--data', join(tmp, 'four.npy'), '--out', join(tmp, 'nolabel.csv'));
    expect(r.code, show(r)).toBe(0);
    const table = await readPredictions(join(tmp, 'nolabel.csv'));
    expect(table.featureNames).toEqual(['index', 'class', 'p0', 'p1', 'p2', 'p3']);
    expect(table.n).toBe(10);
    expect(r.stdout).not.toContain('accuracy');
  });

  it('refuses a model without a classifier, data of another shape and a format other than .csv, writing nothing', async () => {
    const out = join(tmp, 'refused.csv');
    const dense = await inProcess('predict', '--model', densePath, '--out', out);
    expect(dense.code).toBe(1);
    expect(dense.stderr).toContain(`predict needs a model with a classifier (a part read by a sparse_categorical_crossentropy loss term); ${densePath} has parts encoder, decoder`);
    const csv = join(tmp, 'four.csv');
    await writeFile(csv, ['a,b,c,d', '0,1,0,1', '1,2,1,2', '2,3,0,3', '1,0,1,0', '0,4,0,2'].join('\n') + '\n');
    const shape = await inProcess('predict', '--model', modelPath, '--data', csv, '--out', out);
    expect(shape.code).toBe(1);
    expect(shape.stderr).toMatch(/samples are \[4\] but the model takes \[28, 28, 1\]/);
    const png = await inProcess('predict', '--model', modelPath, '--out', join(tmp, 'p.png'));
    expect(png.code).toBe(2);
    expect(png.stderr).toContain('unsupported extension ".png"; expected .csv');
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  });
});

describe('eval on a model with a classifier', () => {
  it('--json reports accuracy, per_class_accuracy and the confusion matrix of predict\'s argmax, and mse as before', async () => {
    const r = await inProcess('eval', '--model', modelPath, '--json', '--threads', '1');
    expect(r.code, show(r)).toBe(0);
    const m = JSON.parse(r.stdout) as { n: number; mse: number; accuracy: number; per_class_accuracy: number[]; confusion: number[][] };
    const probs = model.predict(test.images);
    const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
    for (let i = 0; i < test.n; i++) {
      const row = Array.from(probs.subarray(i * K, (i + 1) * K));
      confusion[test.labels[i]!]![row.indexOf(Math.max(...row))]!++;
    }
    expect(m.confusion).toEqual(confusion);
    const right = confusion.reduce((a, row, t) => a + row[t]!, 0);
    expect(m.accuracy).toBeCloseTo(right / test.n, 12);
    expect(m.per_class_accuracy).toEqual(confusion.map((row, t) => row[t]! / row.reduce((a, b) => a + b, 0)));
    const recon = model.reconstruct(test.images);
    let sq = 0;
    for (let i = 0; i < recon.length; i++) sq += (recon[i]! - test.images[i]!) ** 2;
    expect(m.mse).toBeCloseTo(sq / recon.length, 6);
    expect(m.n).toBe(test.n);
  });

  it('--confusion writes the picture (decodes at the layout\'s size) and prints the per-class line', async () => {
    const file = join(tmp, 'pictures', 'confusion.png');
    const r = await inProcess('eval', '--model', modelPath, '--confusion', file, '--threads', '1');
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/accuracy\s+0\.\d{6}\n {2}per class: 0 0\.\d{3}, 1 0\.\d{3}/);
    expect(r.stdout).toContain(`wrote ${file}`);
    const img = decodePng(new Uint8Array(await readFile(file)), file);
    const layout = confusionLayout({ classes: K, counts: new Array(K * K).fill(0) }, { title: 'ae-classifier: test accuracy 0.0000' });
    expect([img.width, img.height]).toEqual([layout.width, layout.height]);
  });

  it('refuses --confusion on a model without a classifier, on a non-.png name or a directory; and unlabelled data', async () => {
    const dense = await inProcess('eval', '--model', densePath, '--confusion', join(tmp, 'c.png'));
    expect(dense.code).toBe(1);
    expect(dense.stderr).toContain(`--confusion needs a model with a classifier (a part read by a sparse_categorical_crossentropy loss term); ${densePath} has parts encoder, decoder`);
    const txt = await inProcess('eval', '--model', modelPath, '--confusion', join(tmp, 'c.txt'));
    expect(txt.code).toBe(2);
    expect(txt.stderr).toContain(`--confusion ${join(tmp, 'c.txt')}: expected a file name ending in .png`);
    const dir = join(tmp, 'adir.png');
    await mkdir(dir);
    const isDir = await inProcess('eval', '--model', modelPath, '--confusion', dir);
    expect(isDir.code).toBe(1);
    expect(isDir.stderr).toContain(`--confusion ${dir}: is a directory`);
    await expect(readFile(join(tmp, 'c.png'))).rejects.toThrow(/ENOENT/);
    // The CSV model's classes scored against no labels would be a made-up accuracy.
    const unlabelled = await inProcess('eval', '--model', join(tmp, 'four', 'model.safetensors'), '--data', join(tmp, 'four.npy'), '--json');
    expect(unlabelled.code).toBe(1);
    expect(unlabelled.stderr).toMatch(/eval of .*four.model\.safetensors \(a model with a classifier\) needs class labels, but .*four\.npy.* has none/);
  });
});
