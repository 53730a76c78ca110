// ae-wasm compress / decompress on tiny data: what decompress writes is the model's decoding
// of the file's dequantised codes, in every output form; the figures are the file's; a file
// under another model, a damaged file and bad flags are refused with clear messages.
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decompressCodes, modelHash } from '../../src/compress/index.js';
import { hex } from '../../src/compress/digest.js';
import { loadBundledSplits } from '../../src/data/bundled.js';
import { parseNpy } from '../../src/data/sources/npy.js';
import { parseCsv } from '../../src/data/sources/csv.js';
import { createKernels } from '../../src/kernels/node.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { loadModel, saveModel } from '../../src/models/node.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { decodePng } from '../../src/viz/index.js';
import { trainingRecord } from '../models/model-fixtures.js';
import { idxFiles } from './idx-fixture.js';
import { inProcess } from './in-process.js';
import type { Run } from './run-cli.js';

const TEST_N = 12;
const TRAIN_N = 20;
const show = (r: Run): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

let tmp: string;
let data: string;
let modelA: string;
let modelB: string;
let kernels: Kernels;
const out = (name: string) => join(tmp, 'out', name);

async function savedModel(seed: number, name: string): Promise<string> {
  const model = new Autoencoder(kernels, presetArchitecture('dense', 5)).initialize(seed);
  model.preprocessing = { kind: 'scale', scale: 255, sampleShape: [28, 28, 1] };
  model.training = trainingRecord('dense');
  const file = join(tmp, name);
  await saveModel(model, file);
  model.dispose();
  return file;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ae-wasm-compress-'));
  data = join(tmp, 'data');
  await mkdir(data);
  await mkdir(join(tmp, 'out'));
  const bundled = await loadBundledSplits();
  for (const [stem, ds, n] of [['train', bundled.train, TRAIN_N], ['t10k', bundled.test, TEST_N]] as const) {
    const { images, labels } = idxFiles(ds, n);
    await writeFile(join(data, `${stem}-images-idx3-ubyte`), images);
    await writeFile(join(data, `${stem}-labels-idx1-ubyte`), labels);
  }
  kernels = await createKernels();
  modelA = await savedModel(1, 'a.safetensors');
  modelB = await savedModel(2, 'b.safetensors');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function ok(...args: string[]): Promise<Run> {
  const r = await inProcess(...args);
  expect(r.code, show(r)).toBe(0);
  return r;
}

describe('compress then decompress', () => {
  it('--json figures describe the file; .npy holds the decoding of its codes in 0..255 pixels', async () => {
    const file = out('a.aec');
    const r = await ok('compress', '--model', modelA, '--data', data, '--bits', '6', '--out', file, '--json');
    const fig = JSON.parse(r.stdout) as Record<string, number | string | null>;
    const bytes = new Uint8Array(await readFile(file));
    expect(fig).toMatchObject({ n: TEST_N, split: 'test', bits: 6, code_size: 5, bytes: bytes.length });
    expect(fig['bytes_per_sample']).toBeCloseTo(bytes.length / TEST_N, 10);
    expect(fig['bits_per_value']).toBeCloseTo((8 * bytes.length) / (TEST_N * 784), 10);
    expect(fig['psnr']).toBeCloseTo(10 * Math.log10(1 / (fig['mse'] as number)), 8);
    expect(fig['mse_data']).toBeCloseTo((fig['mse'] as number) * 255 * 255, 1);

    await ok('decompress', file, '--model', modelA, '--out', out('a.npy'));
    const model = await loadModel(modelA, { kernels });
    try {
      const expected = model.denormalize(model.decode(decompressCodes(model, bytes).codes));
      const npy = parseNpy(new Uint8Array(await readFile(out('a.npy'))), 'a.npy', 1 << 24);
      expect(npy.shape).toEqual([TEST_N, 28, 28, 1]);
      expect(Float32Array.from(npy.data)).toEqual(expected);
    } finally {
      model.dispose();
    }
  });

  it('a directory gets one PNG per image and labels.csv; .png a grid; .csv a label column', async () => {
    const file = out('labels.aec');
    const r = await ok('compress', '--model', modelA, '--data', data, '--split', 'all', '--keep-labels', '--out', file);
    expect(r.stdout).toContain(`compressed ${TRAIN_N + TEST_N} images`);
    expect(r.stdout).toMatch(/bytes per image, [0-9.]+ bits per pixel \(the model, needed to decode, is not counted\)/);
    expect(r.stdout).toMatch(/PSNR [0-9.]+ dB/);

    const dir = out('pngs');
    const d = await ok('decompress', file, '--model', modelA, '--out', dir);
    expect(d.stdout).toContain(`wrote ${TRAIN_N + TEST_N} PNGs (28 x 28)`);
    const names = (await readdir(dir)).sort();
    expect(names.length).toBe(TRAIN_N + TEST_N + 1);
    expect(names[0]).toBe('00000.png');
    expect(names).toContain('labels.csv');
    const bundled = await loadBundledSplits();
    const labels = parseCsv(new Uint8Array(await readFile(join(dir, 'labels.csv'))), 'labels.csv', { labelColumn: 'label' });
    expect(Array.from(labels.labels!)).toEqual([...bundled.train.labels.slice(0, TRAIN_N), ...bundled.test.labels.slice(0, TEST_N)]);

    const model = await loadModel(modelA, { kernels });
    try {
      const dec = model.decode(decompressCodes(model, new Uint8Array(await readFile(file))).codes);
      const png = decodePng(new Uint8Array(await readFile(join(dir, '00003.png'))), '00003.png');
      expect([png.width, png.height, png.channels]).toEqual([28, 28, 1]);
      expect(Array.from(png.data)).toEqual(Array.from(dec.subarray(3 * 784, 4 * 784), (v) => Math.round(v * 255)));
    } finally {
      model.dispose();
    }

    await ok('decompress', file, '--model', modelA, '--out', out('grid.png'));
    expect(decodePng(new Uint8Array(await readFile(out('grid.png'))), 'grid.png').width).toBeGreaterThan(28 * 4);
    await ok('decompress', file, '--model', modelA, '--out', out('s.csv'));
    const text = await readFile(out('s.csv'), 'utf8');
    expect(text.split('\n')[0]!.startsWith('label,x0,x1,')).toBe(true);
    expect(text.trim().split('\n').length).toBe(1 + TRAIN_N + TEST_N);
  });
});

describe('a numeric table', () => {
  it('compresses and decompresses to .csv in the data\'s units (with the header and labels); pictures are refused', async () => {
    const rows = ['a,b,c,d,kind', ...Array.from({ length: 60 }, (_, i) => `${Math.sin(i)},${i * 0.5},${(i % 7) - 3},${Math.cos(i) * 10},${i % 3 ? 'x' : 'y'}`)];
    const csv = join(tmp, 'table.csv');
    await writeFile(csv, rows.join('\n') + '\n');
    await ok('train', '--data', csv, '--label-column', 'kind', '--preset', 'dense', '--latent', '2', '--epochs', '2', '--quiet', '--out', join(tmp, 'table-run'));
    const model = join(tmp, 'table-run', 'model.safetensors');
    const file = out('table.aec');
    const r = await ok('compress', '--model', model, '--data', csv, '--split', 'all', '--keep-labels', '--bits', '12', '--out', file, '--json');
    const fig = JSON.parse(r.stdout) as Record<string, number | null>;
    expect(fig).toMatchObject({ n: 60, bits: 12, code_size: 2, psnr: null });
    await ok('decompress', file, '--model', model, '--out', out('table-out.csv'));
    const lines = (await readFile(out('table-out.csv'), 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('label,x0,x1,x2,x3');
    expect(lines.length).toBe(61);
    const loaded = await loadModel(model, { kernels });
    try {
      const expected = loaded.denormalize(loaded.decode(decompressCodes(loaded, new Uint8Array(await readFile(file))).codes));
      const first = lines[1]!.split(',').map(Number);
      expect(first.slice(1).map((v) => Math.fround(v))).toEqual(Array.from(expected.subarray(0, 4)));
    } finally {
      loaded.dispose();
    }
    for (const target of [out('table.png'), out('table-dir')]) {
      const bad = await inProcess('decompress', file, '--model', model, '--out', target);
      expect(bad.code, show(bad)).toBe(2);
      expect(bad.stderr).toMatch(/this model's samples are \[4\]/);
    }
  });
});

describe('refusals', () => {
  it('another model exits 1 naming both hashes; nothing is written', async () => {
    const file = out('mismatch.aec');
    await ok('compress', '--model', modelA, '--data', data, '--out', file);
    const r = await inProcess('decompress', file, '--model', modelB, '--out', out('never.npy'));
    expect(r.code, show(r)).toBe(1);
    const [a, b] = await Promise.all([modelA, modelB].map(async (m) => {
      const model = await loadModel(m, { kernels });
      const h = hex(modelHash(model));
      model.dispose();
      return h;
    }));
    expect(r.stderr).toContain(`compressed with the model of hash ${a}, but ${modelB} has hash ${b}`);
    await expect(stat(out('never.npy'))).rejects.toThrow(/ENOENT/);
  });

  it('truncated, corrupted and non-.aec files exit 1 with the reason', async () => {
    const file = out('t.aec');
    await ok('compress', '--model', modelA, '--data', data, '--out', file);
    const bytes = await readFile(file);
    const cases: [Uint8Array, RegExp][] = [
      [bytes.subarray(0, bytes.length - 7), /truncated: the header says \d+ bytes .* the file has \d+/],
      [Uint8Array.from(bytes, (v, i) => (i === bytes.length - 20 ? v ^ 1 : v)), /checksum mismatch/],
      [new Uint8Array(0), /is empty/],
      [new TextEncoder().encode('hello'), /not an \.aec file/],
    ];
    for (const [content, why] of cases) {
      await writeFile(out('bad.aec'), content);
      const r = await inProcess('decompress', out('bad.aec'), '--model', modelA, '--out', out('never.npy'));
      expect(r.code, show(r)).toBe(1);
      expect(r.stderr).toMatch(why);
    }
  });

  it('bad flags exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['compress', '--model', modelA, '--bits', '3', '--out', 'x.aec'], /--bits.*between 4 and 16/],
      [['compress', '--model', modelA, '--bits', '17', '--out', 'x.aec'], /between 4 and 16/],
      [['compress', '--model', modelA, '--out', out('x.bin')], /expected a file name ending in \.aec/],
      [['compress', '--model', modelA, '--split', 'val', '--out', 'x.aec'], /Allowed choices are test, train, all/],
      [['compress', '--model', modelA, '--out', modelA], /is the --model file/],
      [['decompress', out('a.aec'), '--model', modelA, '--out', out('x.jpg')], /unsupported extension "\.jpg"/],
      [['decompress', '--model', modelA, '--out', out('x.png')], /missing required argument 'file.aec'/],
    ];
    for (const [args, why] of cases) {
      const r = await inProcess(...args);
      expect(r.code, `${args.join(' ')}\n${show(r)}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(why);
    }
  });

  it('both commands have --help', async () => {
    expect((await ok('compress', '--help')).stdout).toMatch(/--split <name>[\s\S]*--bits <n>[\s\S]*--keep-labels/);
    expect((await ok('decompress', '--help')).stdout).toMatch(/Usage: ae-wasm decompress \[options\] <file\.aec>/);
  });
});
