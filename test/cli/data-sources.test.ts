// Issue 12 end to end through the CLI: train and eval dense, deep, vae and conv on a folder
// of 32x32 RGB PNGs, a numeric CSV with a label column, an .npy array with labels and IDX
// files of another size (all written here), the normalisation stored in the model and
// reused by the other commands, and the bad sources refused with one clear line.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../../src/data/sources/npy.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { RandomStream } from '../../src/random/streams.js';
import { encodeIdx } from '../fuzz/seeds.js';
import { inProcess } from './in-process.js';
import type { Run } from './run-cli.js';

let dir: string;
const at = (...p: string[]) => path.join(dir, ...p);
const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** A 32x32 RGB picture of a soft blob of the class's colour at a random place. */
function blob(rng: RandomStream, cls: number, h = 32, w = 32): Buffer {
  const px = Buffer.alloc(h * w * 3);
  const cx = 8 + rng.nextInt(1 << 24) / (1 << 24) * (w - 16);
  const cy = 8 + rng.nextInt(1 << 24) / (1 << 24) * (h - 16);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 30);
      for (let c = 0; c < 3; c++) px[(y * w + x) * 3 + c] = Math.round(255 * v * (c === cls ? 1 : 0.25));
    }
  }
  return px;
}

async function writePng(file: string, raw: Buffer, h: number, w: number): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer());
}

/** Rows on a 2-D manifold in 6 columns of different scales, and a text label column. */
function csvText(n: number): string {
  const rng = new RandomStream(5);
  const rows = ['a,b,kind,c,d,e,f'];
  for (let i = 0; i < n; i++) {
    const s = rng.nextInt(1 << 24) / (1 << 24) * 2 - 1;
    const t = rng.nextInt(1 << 24) / (1 << 24) * 2 - 1;
    const f = [100 + 20 * s, -3 * t, s + t, 0.01 * (s - t), 50 * s * t + 7, 2 * s];
    rows.push([f[0], f[1], s > 0 ? 'high' : 'low', f[2], f[3], f[4], f[5]].map((v) => (typeof v === 'number' ? v.toFixed(6) : v)).join(','));
  }
  return rows.join('\n') + '\n';
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ae-wasm-sources-cli-'));
  const rng = new RandomStream(1);
  for (const [cls, name] of ['red', 'green', 'blue'].entries()) {
    for (let k = 0; k < 24; k++) await writePng(at('rgb', name, `${k}.png`), blob(rng, cls), 32, 32);
  }
  writeFileSync(at('table.csv'), csvText(240));
  const arr = Float32Array.from({ length: 120 * 64 }, (_, i) => Math.sin(i * 0.37) * 4 + ((i % 64) % 8));
  writeFileSync(at('arrays.npy'), encodeNpy(arr, [120, 8, 8]));
  writeFileSync(at('labels.npy'), encodeNpy(Int32Array.from({ length: 120 }, (_, i) => i % 4), [120]));
  const side = 14;
  const px = (n: number) => Uint8Array.from({ length: n * side * side }, (_, i) => ((i % side) * 17 + Math.floor(i / side) * 5) % 256);
  mkdirSync(at('idx14'));
  writeFileSync(at('idx14', 'train-images-idx3-ubyte'), encodeIdx([80, side, side], px(80)));
  writeFileSync(at('idx14', 'train-labels-idx1-ubyte'), encodeIdx([80], Uint8Array.from({ length: 80 }, (_, i) => i % 10)));
  writeFileSync(at('idx14', 't10k-images-idx3-ubyte'), encodeIdx([20, side, side], px(20)));
  writeFileSync(at('idx14', 't10k-labels-idx1-ubyte'), encodeIdx([20], Uint8Array.from({ length: 20 }, (_, i) => i % 10)));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Trained {
  out: string;
  model: string;
  history: { loss: number; test_mse: number }[];
}

async function train(name: string, ...args: string[]): Promise<Trained> {
  const out = at('runs', name);
  const r = await inProcess('train', ...args, '--out', out, '--quiet');
  expect(r.code, show(r)).toBe(0);
  const history = (JSON.parse(readFileSync(path.join(out, 'history.json'), 'utf8')) as { epochs: Trained['history'] }).epochs;
  return { out, model: path.join(out, 'model.safetensors'), history };
}

function preprocessingOf(model: string): { kind: string; labels?: string[]; tensors: string[] } {
  const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(model)));
  return { ...JSON.parse(metadata['preprocessing']!), tensors: [...tensors.keys()].filter((n) => n.startsWith('preprocessing.')).sort() };
}

async function evalJson(model: string, ...data: string[]): Promise<Record<string, number>> {
  const r = await inProcess('eval', '--model', model, ...data, '--json');
  expect(r.code, show(r)).toBe(0);
  return JSON.parse(r.stdout) as Record<string, number>;
}

describe('a folder of 32x32 RGB PNGs', () => {
  it.each([
    ['dense', ['--epochs', '4']],
    ['deep', ['--epochs', '4']],
    ['vae', ['--epochs', '4']],
    ['conv', ['--epochs', '3', '--noise', '0']],
  ])('%s trains, learns, records scale/255 with the class names, and evaluates', async (preset, extra) => {
    const t = await train(`rgb-${preset}`, '--data', at('rgb'), '--preset', preset, '--batch', '8', ...extra);
    expect(t.history.at(-1)!.loss).toBeLessThan(t.history[0]!.loss);
    const p = preprocessingOf(t.model);
    expect(p).toEqual({ kind: 'scale', scale: 255, labels: ['blue', 'green', 'red'], tensors: [] });
    const m = await evalJson(t.model, '--data', at('rgb'));
    // The model's own split (seed 0, 0.2 of 72 images) is found again from its record.
    expect(m['n']).toBe(14);
    expect(m['mse']).toBeCloseTo(t.history.at(-1)!.test_mse, 5);
    expect(m['mse_data']! / (m['mse']! * 255 ** 2)).toBeCloseTo(1, 4);
    const png = await sharp(path.join(t.out, 'reconstructions.png')).metadata();
    expect(png.width).toBeGreaterThan(0);
  }, 120_000);

  it('reconstruct and encode read the folder at the model\'s size', async () => {
    const t = await train('rgb-dense-2', '--data', at('rgb'), '--preset', 'dense', '--epochs', '1');
    const r = await inProcess('reconstruct', '--model', t.model, '--data', at('rgb'), '--n', '4', '--out', at('r.png'));
    expect(r.code, show(r)).toBe(0);
    const e = await inProcess('encode', '--model', t.model, '--data', at('rgb'), '--out', at('codes.safetensors'));
    expect(e.code, show(e)).toBe(0);
    const codes = decodeSafetensors(new Uint8Array(readFileSync(at('codes.safetensors')))).tensors.get('codes')!;
    expect(codes.shape).toEqual([14, 64]);
  }, 120_000);
});

describe('a numeric CSV with a label column', () => {
  it.each(['dense', 'deep', 'vae'])('%s trains on standardised features (linear output, MSE) and beats the mean', async (preset) => {
    const t = await train(`csv-${preset}`, '--data', at('table.csv'), '--label-column', 'kind', '--preset', preset, '--epochs', '30', '--lr', '0.01');
    const p = preprocessingOf(t.model);
    expect(p.kind).toBe('standard');
    expect(p.labels).toEqual(['high', 'low']);
    expect(p.tensors).toEqual(['preprocessing.mean', 'preprocessing.std']);
    // The label column is held out again from the record; predicting the mean scores about 1.
    const m = await evalJson(t.model, '--data', at('table.csv'));
    expect(m['n']).toBe(48);
    expect(m['bce']).toBeUndefined();
    expect(m['mse']).toBeLessThan(preset === 'vae' ? 0.95 : 0.5);
    expect(m['mse_data']).toBeGreaterThan(m['mse']!);
  }, 120_000);

  it('--normalize minmax keeps a sigmoid output and the min/max tensors', async () => {
    const t = await train('csv-minmax', '--data', at('table.csv'), '--label-column', '2', '--normalize', 'minmax', '--epochs', '2');
    expect(preprocessingOf(t.model).tensors).toEqual(['preprocessing.max', 'preprocessing.min']);
  }, 60_000);
});

describe('an .npy array and IDX files of another size', () => {
  it('npy [120, 8, 8] float32 with labels: dense and deep train and evaluate', async () => {
    for (const preset of ['dense', 'deep']) {
      const t = await train(`npy-${preset}`, '--data', at('arrays.npy'), '--labels', at('labels.npy'), '--preset', preset, '--epochs', '10', '--lr', '0.005');
      expect(t.history.at(-1)!.test_mse).toBeLessThan(t.history[0]!.test_mse);
      expect(preprocessingOf(t.model).kind).toBe('standard');
      const m = await evalJson(t.model, '--data', at('arrays.npy'));
      expect(m['n']).toBe(24);
    }
  }, 120_000);

  it('IDX 14x14: dense, vae and deep-conv train; conv names the nearest sizes that fit', async () => {
    for (const preset of ['dense', 'vae', 'deep-conv']) {
      const t = await train(`idx14-${preset}`, '--data', at('idx14'), '--preset', preset, '--epochs', '2', '--batch', '16');
      const m = await evalJson(t.model, '--data', at('idx14'));
      expect(m['n']).toBe(20);
    }
    const r = await inProcess('train', '--data', at('idx14'), '--preset', 'conv', '--out', at('runs', 'no'), '--quiet');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/preset conv on input \[14, 14, 1\].*height 14 \(nearest: 12 or 16\)/);
  }, 120_000);
});

describe('bad sources and flags get one clear line', () => {
  it.each([
    ['mixed image sizes without --image-size', async () => {
      await writePng(at('mixed', 'a', '0.png'), Buffer.alloc(32 * 32 * 3, 9), 32, 32);
      await writePng(at('mixed', 'a', '1.png'), Buffer.alloc(16 * 20 * 3, 9), 16, 20);
      return ['--data', at('mixed')];
    }, /16x20|20x16|--image-size/],
    ['a ragged CSV row', async () => {
      writeFileSync(at('ragged.csv'), 'a,b,c\n1,2,3\n4,5\n');
      return ['--data', at('ragged.csv')];
    }, /ragged\.csv.*row 3/],
    ['a non-numeric cell', async () => {
      writeFileSync(at('word.csv'), 'a,b\n1,2\n3,x\n');
      return ['--data', at('word.csv')];
    }, /word\.csv: row 3, column "b" \(index 1\): "x" is not a number/],
    ['an .npy of int64', async () => {
      const bytes = encodeNpy(Float64Array.of(1, 2, 3, 4), [4, 1]);
      const text = new TextDecoder('latin1').decode(bytes).replace("'<f8'", "'<i8'");
      writeFileSync(at('int64.npy'), Buffer.from(text, 'latin1'));
      return ['--data', at('int64.npy')];
    }, /int64\.npy.*<i8/],
    ['an empty folder', async () => {
      mkdirSync(at('empty'), { recursive: true });
      return ['--data', at('empty')];
    }, /empty: no class folders found/],
    // Usage errors exit with 2, like an unknown flag.
    ['a source flag without --data', async () => ['--test-split', '0.3'], /--test-split goes with --data/, 2],
    ['--normalize scale on float data', async () => ['--data', at('arrays.npy'), '--normalize', 'scale'], /divides 8-bit data by 255, but this source holds float32/],
    ['--loss bce on standardised data', async () => ['--data', at('table.csv'), '--label-column', 'kind', '--loss', 'bce'], /--loss bce needs data in \[0, 1\]/, 2],
  ] as [string, () => Promise<string[]>, RegExp, number?][])('%s', async (_, make, message, code = 1) => {
    const args = await make();
    const r = await inProcess('train', ...args, '--epochs', '1', '--out', at('runs', 'bad'), '--quiet');
    expect(r.code, show(r)).toBe(code);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  }, 60_000);

  it('a model meets data of another shape: a ShapeError naming both', async () => {
    const t = await train('shape', '--data', at('table.csv'), '--label-column', 'kind', '--epochs', '1');
    const r = await inProcess('eval', '--model', t.model, '--data', at('arrays.npy'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/samples are \[8, 8\] but the model takes \[6\]/);
  }, 60_000);
});

describe('every command on non-image data writes numbers', () => {
  it('a table VAE: reconstruct, encode, decode, sample, interpolate, manifold and denoise write .csv/.npy in the data units; .png is refused', async () => {
    const t = await train('csv-vae-out', '--data', at('table.csv'), '--label-column', 'kind', '--preset', 'vae', '--epochs', '5', '--lr', '0.01');
    const m = ['--model', t.model];
    const csv = async (...args: string[]) => {
      const r = await inProcess(...args);
      expect(r.code, show(r)).toBe(0);
      const file = args[args.indexOf('--out') + 1]!;
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
      return { header: lines[0]!.split(','), rows: lines.slice(1).map((l) => l.split(',').map(Number)) };
    };
    const rec = await csv('reconstruct', ...m, '--data', at('table.csv'), '--out', at('rec.csv'));
    expect(rec.header).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'mse', 'mse_data']);
    expect(rec.rows).toHaveLength(48);
    // Column a is 100 + 20 s with |s| < 1 in the data: reconstructions come back in those units.
    const a = rec.rows.map((r) => r[0]!);
    expect(Math.min(...a)).toBeGreaterThan(60);
    expect(Math.max(...a)).toBeLessThan(140);
    expect(rec.rows.every((r) => r.every(Number.isFinite))).toBe(true);

    const enc = await csv('encode', ...m, '--data', at('table.csv'), '--out', at('codes.csv'));
    expect(enc.header).toEqual(['label', 'z0', 'z1']);
    expect(new Set(enc.rows.map((r) => r[0]))).toEqual(new Set([0, 1]));
    const e = await inProcess('encode', ...m, '--data', at('table.csv'), '--out', at('codes.safetensors'));
    expect(e.code, show(e)).toBe(0);
    expect((await csv('decode', ...m, '--codes', at('codes.safetensors'), '--out', at('dec.csv'))).rows).toHaveLength(48);
    expect((await csv('sample', ...m, '--n', '7', '--out', at('s.csv'))).header).toEqual(['x0', 'x1', 'x2', 'x3', 'x4', 'x5']);
    const inter = await csv('interpolate', ...m, '--data', at('table.csv'), '--from', '0', '--to', '3', '--steps', '5', '--out', at('i.csv'));
    expect(inter.rows.map((r) => r[0])).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect((await csv('manifold', ...m, '--size', '3', '--out', at('m.csv'))).header.slice(0, 2)).toEqual(['z0', 'z1']);
    const den = await csv('denoise', ...m, '--data', at('table.csv'), '--noise', '0.5', '--out', at('d.csv'));
    expect(den.header.slice(-2)).toEqual(['mse_noisy', 'mse_denoised']);

    const r = await inProcess('sample', ...m, '--n', '4', '--out', at('s.npy'));
    expect(r.code, show(r)).toBe(0);
    const { parseNpy } = await import('../../src/data/sources/npy.js');
    expect(parseNpy(new Uint8Array(readFileSync(at('s.npy'))), 's.npy', 1 << 20).shape).toEqual([4, 6]);

    const png = await inProcess('reconstruct', ...m, '--data', at('table.csv'), '--out', at('r.png'));
    expect(png.code).toBe(2);
    expect(png.stderr).toMatch(/a \.png draws pictures, but this model's samples are \[6\]/);
  }, 120_000);
});
