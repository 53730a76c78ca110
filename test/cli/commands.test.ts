// The inference sub-commands (reconstruct, encode, decode, sample, manifold, interpolate,
// latent, denoise) end to end as real child processes on tiny models trained once here
// through the library: output files decode with the right names, dtypes and shapes,
// encode + decode reproduce reconstruct, wrong model kinds and bad flags are refused.
// Usage errors that fail before any work are also checked in-process through main(),
// which is what the child process runs, to keep the file fast on two cores.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inverseNormalCdf } from '../../src/cli/manifold.js';
import { loadBundledSplits } from '../../src/data/bundled.js';
import { subset, type Dataset, type Splits } from '../../src/data/dataset.js';
import { decodeSafetensors, type DecodedTensor } from '../../src/io/safetensors.js';
import { createKernels } from '../../src/kernels/node.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { saveModel } from '../../src/models/node.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { Adam } from '../../src/train/optimizers.js';
import { train } from '../../src/train/trainer.js';
import { decodePng, type DecodedImage } from '../../src/viz/index.js';
import { idxFiles } from './idx-fixture.js';
import { inProcess } from './in-process.js';
import { cli, type Run } from './run-cli.js';

const TRAIN_N = 512;
/** Test digits in the --data fixture: small, so every command's work is quick. */
const TEST_N = 40;
const CELL = 56; // a 28 x 28 digit at scale 2


const show = (r: Run): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

function expectOk(r: Run): void {
  expect(r.code, show(r)).toBe(0);
}

function tensors(file: string): Map<string, DecodedTensor> {
  return decodeSafetensors(new Uint8Array(readFileSync(file)), file).tensors;
}

function png(file: string): DecodedImage {
  return decodePng(new Uint8Array(readFileSync(file)), file);
}

/**
 * Digit cells in the picture's busiest row: runs of not-white pixels one cell wide on
 * the white figure. A row through the cells' dark top rows crosses each cell once, and
 * text (thin strokes) never makes a run that long.
 */
function cellsAcross(img: DecodedImage): number {
  const ch = img.channels;
  let best = 0;
  for (let y = 0; y < img.height; y++) {
    let cells = 0;
    let run = 0;
    for (let x = 0; x <= img.width; x++) {
      const dark = x < img.width && img.data[(y * img.width + x) * ch]! < 250;
      if (dark) run++;
      else {
        if (run >= CELL - 4 && run <= CELL) cells++;
        run = 0;
      }
    }
    best = Math.max(best, cells);
  }
  return best;
}

// ---------------------------------------------------------------- fixtures

async function writeIdx(dir: string, stem: string, ds: Dataset, n: number): Promise<void> {
  const { images, labels } = idxFiles(ds, n);
  await writeFile(join(dir, `${stem}-images-idx3-ubyte`), images);
  await writeFile(join(dir, `${stem}-labels-idx1-ubyte`), labels);
}

/** A dark, slightly slanted "1" with a foot on a white gray-scale canvas: how a user draws. */
function drawnDigitPng(): Uint8Array {
  const w = 90;
  const h = 120;
  const data = new Uint8Array(w * h).fill(255);
  const dot = (cx: number, cy: number, r: number): void => {
    for (let y = Math.floor(cy - r); y <= cy + r; y++) {
      for (let x = Math.floor(cx - r); x <= cx + r; x++) {
        if (x >= 0 && y >= 0 && x < w && y < h && (x - cx) ** 2 + (y - cy) ** 2 <= r * r) data[y * w + x] = 20;
      }
    }
  };
  for (let t = 0; t <= 1; t += 0.01) dot(50 - 10 * t, 15 + 85 * t, 5);
  for (let t = 0; t <= 1; t += 0.02) dot(50 - 18 * t, 15 + 15 * t, 4);
  return encodePng({ width: w, height: h, data, channels: 1, depth: 8 });
}

let tmp: string;
let data: string;
const models = { dense: '', conv: '', vae: '', vae20: '' };
const out = (name: string): string => join(tmp, 'out', name);

async function trainedModel(preset: string, latent: number | undefined, splits: Splits, noise: number, epochs: number): Promise<string> {
  const kernels = await createKernels();
  const model = new Autoencoder(kernels, presetArchitecture(preset, latent)).initialize(1);
  const optimizer = new Adam();
  const loss = preset === 'vae' ? 'bce' : 'mse';
  if (epochs > 0) await train(model, splits, { epochs, batchSize: 32, optimizer, loss, noise, seed: 1, evaluateTest: false });
  model.training = {
    preset,
    loss,
    optimizer: optimizer.config(),
    noise,
    l1: 0,
    beta: 1,
    seed: 1,
    batch_size: 32,
    epochs,
    data: splits.source,
  };
  const file = join(tmp, `${preset}-${latent ?? 'fixed'}.safetensors`);
  await saveModel(model, file);
  model.dispose();
  return file;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ae-wasm-commands-'));
  data = join(tmp, 'data');
  await mkdir(data);
  await mkdir(join(tmp, 'out'));
  const bundled = await loadBundledSplits();
  await writeIdx(data, 'train', bundled.train, 64);
  await writeIdx(data, 't10k', bundled.test, TEST_N);
  const small: Splits = { train: subset(bundled.train, 0, TRAIN_N), test: subset(bundled.test, 0, TEST_N), source: bundled.source };
  models.dense = await trainedModel('dense', 8, small, 0, 1);
  models.conv = await trainedModel('conv', undefined, { ...small, train: subset(bundled.train, 0, 128) }, 0.2, 1);
  models.vae = await trainedModel('vae', 2, small, 0, 1);
  // Refused before any decoding, so it needs no training.
  models.vae20 = await trainedModel('vae', 20, small, 0, 0);
  await writeFile(join(tmp, 'drawn.png'), drawnDigitPng());
  await writeFile(join(tmp, 'not-a.png'), 'hello, I am text');
  await writeFile(join(tmp, 'blank.png'), encodePng({ width: 40, height: 40, data: new Uint8Array(1600).fill(255), channels: 1, depth: 8 }));
}, 120_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------- tests

describe('reconstruct', () => {
  it('draws originals over reconstructions of the first 16 bundled test digits by default', async () => {
    const r = await cli('reconstruct', '--model', models.dense, '--out', out('recon.png'));
    expectOk(r);
    expect(r.stdout).toMatch(/MSE per value [\d.]+ \(data units: [\d.e+]+\) over the first 16 test images/);
    const img = png(out('recon.png'));
    expect(img.width).toBeGreaterThan(16 * CELL);
    expect(img.width).toBeLessThan(16 * (CELL + 2) + 300);
    expect(img.height).toBeGreaterThan(2 * CELL);
    expect(img.height).toBeLessThan(2 * CELL + 150);
    expect(cellsAcross(img)).toBe(16);
  });

  it('writes float32 reconstructions of PNG inputs, and names a bad PNG', async () => {
    const drawn = join(tmp, 'drawn.png');
    const [ok, picture, bad, blank] = await Promise.all([
      cli('reconstruct', '--model', models.dense, '--input', drawn, drawn, '--out', out('inputs.safetensors'), '--backend', 'js'),
      cli('reconstruct', '--model', models.vae, '--input', drawn, '--out', out('inputs.png')),
      cli('reconstruct', '--model', models.dense, '--input', join(tmp, 'not-a.png'), '--out', out('bad.png')),
      cli('reconstruct', '--model', models.dense, '--input', join(tmp, 'blank.png'), '--out', out('blank.png')),
    ]);
    expectOk(ok);
    const t = tensors(out('inputs.safetensors')).get('images')!;
    expect(t.dtype).toBe('F32');
    expect(t.shape).toEqual([2, 28, 28, 1]);
    expect((t.data as Float32Array).every((v) => v >= 0 && v <= 1)).toBe(true);
    expectOk(picture);
    expect(cellsAcross(png(out('inputs.png')))).toBe(1);
    for (const [r, file, what] of [[bad, 'not-a.png', /not a PNG/], [blank, 'blank.png', /blank/]] as const) {
      expect(r.code, show(r)).toBe(1);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toMatch(what);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('encode and decode', () => {
  it('encode writes codes in the code shape with labels; decode of them equals reconstruct', async () => {
    const cases = [
      { name: 'dense', model: models.dense, shape: [8] },
      { name: 'conv', model: models.conv, shape: [7, 7, 8] },
      { name: 'vae', model: models.vae, shape: [2] },
    ];
    const encoded = await Promise.all(cases.map((c) => cli('encode', '--model', c.model, '--data', data, '--out', out(`${c.name}-codes.safetensors`))));
    for (const [i, c] of cases.entries()) {
      const r = encoded[i]!;
      expectOk(r);
      expect(r.stdout).toContain(`= ${c.shape.reduce((a, b) => a * b) * 4} bytes per image`);
      expect(r.stdout).toContain('784 bytes of an 8-bit image');
      expect(r.stdout).toContain('3136 bytes of a float32 image');
      const t = tensors(out(`${c.name}-codes.safetensors`));
      expect(t.get('codes')!.dtype).toBe('F32');
      expect(t.get('codes')!.shape).toEqual([TEST_N, ...c.shape]);
      expect(t.get('labels')!.dtype).toBe('U8');
      expect(t.get('labels')!.shape).toEqual([TEST_N]);
      expect(t.has('z_log_var')).toBe(c.name === 'vae');
      if (c.name === 'vae') expect(t.get('z_log_var')!.shape).toEqual([TEST_N, 2]);
    }
    expect(encoded[1]!.stdout).toContain('2.00x larger'); // conv: 7x7x8 floats outweigh 784 bytes

    const runs = await Promise.all(
      cases.flatMap((c) => [
        cli('decode', '--model', c.model, '--codes', out(`${c.name}-codes.safetensors`), '--out', out(`${c.name}-decoded.safetensors`)),
        cli('reconstruct', '--model', c.model, '--data', data, '--n', String(TEST_N), '--out', out(`${c.name}-recon.safetensors`)),
      ]),
    );
    runs.forEach(expectOk);
    for (const c of cases) {
      const decoded = tensors(out(`${c.name}-decoded.safetensors`)).get('images')!;
      const recon = tensors(out(`${c.name}-recon.safetensors`)).get('images')!;
      expect(decoded.shape).toEqual([TEST_N, 28, 28, 1]);
      expect(recon.shape).toEqual(decoded.shape);
      let worst = 0;
      for (let i = 0; i < recon.data.length; i++) worst = Math.max(worst, Math.abs((decoded.data[i] as number) - (recon.data[i] as number)));
      expect(worst, c.name).toBeLessThanOrEqual(1e-6);
    }
  });

  it('decode draws a PNG and refuses codes of another shape, naming both shapes', async () => {
    const [picture, wrong, missing] = await Promise.all([
      cli('decode', '--model', models.vae, '--codes', out('vae-codes.safetensors'), '--out', out('vae-decoded.png')),
      cli('decode', '--model', models.vae, '--codes', out('dense-codes.safetensors'), '--out', out('wrong.png')),
      cli('decode', '--model', models.vae, '--codes', out('vae-decoded.safetensors'), '--out', out('missing.png')),
    ]);
    expectOk(picture);
    const img = png(out('vae-decoded.png'));
    expect(img.width).toBeGreaterThan(7 * CELL);
    expect(img.height).toBeGreaterThan(6 * CELL);
    expect(wrong.code, show(wrong)).toBe(1);
    expect(wrong.stderr).toContain('dense-codes.safetensors');
    expect(wrong.stderr).toContain(`[${TEST_N}, 8]`);
    expect(wrong.stderr).toContain('[n, 2]');
    expect(missing.code, show(missing)).toBe(1);
    expect(missing.stderr).toMatch(/no tensor "codes" \(found "images"\)/);
  });
});

describe('sample and manifold', () => {
  it('sample decodes prior draws of a VAE, reproducibly per seed', async () => {
    const [a, b, c, picture] = await Promise.all([
      cli('sample', '--model', models.vae, '--n', '5', '--seed', '7', '--out', out('s7a.safetensors')),
      cli('sample', '--model', models.vae, '--n', '5', '--seed', '7', '--out', out('s7b.safetensors'), '--backend', 'js'),
      cli('sample', '--model', models.vae, '--n', '5', '--seed', '8', '--out', out('s8.safetensors')),
      cli('sample', '--model', models.vae, '--n', '9', '--out', out('samples.png')),
    ]);
    [a, b, c, picture].forEach(expectOk);
    const [ta, tb, tc] = ['s7a', 's7b', 's8'].map((s) => tensors(out(`${s}.safetensors`)).get('images')!);
    expect(ta!.shape).toEqual([5, 28, 28, 1]);
    expect(ta!.dtype).toBe('F32');
    const diff = (p: DecodedTensor, q: DecodedTensor): number => Math.max(...Array.from(p.data as Float32Array, (v, i) => Math.abs(v - (q.data[i] as number))));
    expect(diff(ta!, tb!)).toBeLessThan(1e-4); // same draws on both backends
    expect(diff(ta!, tc!)).toBeGreaterThan(1e-3);
    expect(cellsAcross(png(out('samples.png')))).toBe(3);
  });

  it('manifold decodes a size x size grid over normal quantiles or [-x, x]', async () => {
    const [picture, tensorsRun, extent] = await Promise.all([
      cli('manifold', '--model', models.vae, '--size', '6', '--out', out('manifold.png')),
      cli('manifold', '--model', models.vae, '--size', '5', '--out', out('manifold.safetensors')),
      cli('manifold', '--model', models.vae, '--size', '3', '--extent', '2', '--out', out('manifold-x.safetensors')),
    ]);
    [picture, tensorsRun, extent].forEach(expectOk);
    const img = png(out('manifold.png'));
    expect(img.width).toBeGreaterThanOrEqual(6 * CELL);
    expect(img.height).toBeGreaterThanOrEqual(6 * CELL);
    const t = tensors(out('manifold.safetensors'));
    expect(t.get('images')!.shape).toEqual([25, 28, 28, 1]);
    expect(t.get('codes')!.shape).toEqual([25, 2]);
    const codes = t.get('codes')!.data as Float32Array;
    const q = inverseNormalCdf(0.9); // the top-left cell: quantile (0 + 0.5) / 5 across, (4 + 0.5) / 5 up
    expect(codes[0]).toBeCloseTo(-q, 5);
    expect(codes[1]).toBeCloseTo(q, 5);
    expect(Array.from(tensors(out('manifold-x.safetensors')).get('codes')!.data as Float32Array)).toEqual([-2, 2, 0, 2, 2, 2, -2, 0, 0, 0, 2, 0, -2, -2, 0, -2, 2, -2]);
  });

  it('sample and manifold refuse models they cannot use', async () => {
    const runs = await Promise.all([
      cli('sample', '--model', models.dense, '--n', '4', '--out', out('no.png')),
      cli('manifold', '--model', models.conv, '--out', out('no.png')),
      cli('manifold', '--model', models.vae20, '--out', out('no.png')),
    ]);
    for (const r of runs) {
      expect(r.code, show(r)).not.toBe(0);
      expect(r.stderr).toMatch(/needs a VAE/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(runs[0]!.stderr).toContain('preset dense');
    expect(runs[2]!.stderr).toMatch(/needs a VAE with a 2-D latent.*20-D latent/);
  });

  it('inverseNormalCdf matches known quantiles', () => {
    expect(inverseNormalCdf(0.5)).toBeCloseTo(0, 9);
    expect(inverseNormalCdf(0.975)).toBeCloseTo(1.959963985, 7);
    expect(inverseNormalCdf(0.01)).toBeCloseTo(-2.326347874, 7);
  });
});

describe('interpolate, latent, denoise', () => {
  it('interpolate writes a strip of the two originals around K decoded steps', async () => {
    const [picture, tensorRun, outside] = await Promise.all([
      cli('interpolate', '--model', models.vae, '--from', '0', '--to', '3', '--steps', '6', '--data', data, '--out', out('interp.png')),
      cli('interpolate', '--model', models.conv, '--from', '1', '--to', '2', '--steps', '4', '--data', data, '--out', out('interp.safetensors')),
      cli('interpolate', '--model', models.dense, '--from', '0', '--to', String(TEST_N), '--data', data, '--out', out('no.png')),
    ]);
    expectOk(picture);
    expect(cellsAcross(png(out('interp.png')))).toBe(6 + 2);
    expectOk(tensorRun);
    const t = tensors(out('interp.safetensors'));
    expect(t.get('images')!.shape).toEqual([4, 28, 28, 1]);
    expect(t.get('codes')!.shape).toEqual([4, 7, 7, 8]);
    expect(t.get('originals')!.shape).toEqual([2, 28, 28, 1]);
    expect(outside.code, show(outside)).toBe(2);
    expect(outside.stderr).toContain(`--to ${TEST_N} is outside the test split`);
  });

  it('latent plots 2-D codes directly and larger codes on their principal components', async () => {
    const [vae, dense] = await Promise.all([
      cli('latent', '--model', models.vae, '--data', data, '--out', out('latent-vae.png')),
      cli('latent', '--model', models.dense, '--data', data, '--n', '30', '--out', out('latent-dense.png')),
    ]);
    expectOk(vae);
    expect(vae.stdout).toContain(`plotted ${TEST_N} test digits: x = z_mean[0], y = z_mean[1]`);
    expectOk(dense);
    expect(dense.stdout).toMatch(/plotted 30 test digits: x = PC 1 \([\d.]+% of variance\), y = PC 2/);
    for (const f of ['latent-vae.png', 'latent-dense.png']) {
      const img = png(out(f));
      expect(img.width).toBeGreaterThan(400);
      expect(img.height).toBeGreaterThan(300);
    }
  });

  it('denoise shows noisy / denoised / clean rows at the training noise or 0.3', async () => {
    const [conv, dense, again] = await Promise.all([
      cli('denoise', '--model', models.conv, '--data', data, '--n', '5', '--out', out('denoise.png')),
      cli('denoise', '--model', models.dense, '--data', data, '--seed', '3', '--out', out('denoise-a.safetensors')),
      cli('denoise', '--model', models.dense, '--data', data, '--seed', '3', '--out', out('denoise-b.safetensors')),
    ]);
    [conv, dense, again].forEach(expectOk);
    expect(conv.stdout).toContain('noise 0.2 (the training noise)');
    expect(dense.stdout).toContain('noise 0.3 (default');
    const img = png(out('denoise.png'));
    expect(cellsAcross(img)).toBe(5);
    expect(img.height).toBeGreaterThan(3 * CELL);
    const a = tensors(out('denoise-a.safetensors'));
    const b = tensors(out('denoise-b.safetensors'));
    for (const name of ['noisy', 'denoised', 'clean']) expect(a.get(name)!.shape).toEqual([12, 28, 28, 1]);
    const noisy = a.get('noisy')!.data as Float32Array;
    const clean = a.get('clean')!.data as Float32Array;
    expect(noisy.every((v) => v >= 0 && v <= 1)).toBe(true);
    let changed = 0;
    for (let i = 0; i < noisy.length; i++) if (noisy[i] !== clean[i]) changed++;
    expect(changed).toBeGreaterThan(noisy.length / 3);
    expect(Array.from(b.get('noisy')!.data as Float32Array)).toEqual(Array.from(noisy));
  });
});

describe('usage', () => {
  const COMMANDS = ['reconstruct', 'encode', 'decode', 'sample', 'manifold', 'interpolate', 'latent', 'denoise'];

  it('every command has --help', async () => {
    for (const c of COMMANDS) {
      const r = await inProcess(c, '--help');
      expect(r.code, show(r)).toBe(0);
      expect(r.stdout).toContain(`Usage: ae-wasm ${c}`);
      expect(r.stdout).toContain('--out <file>');
    }
    expect((await inProcess('manifold', '--help')).stdout).toMatch(/inverse normal CDF/);
  });

  it('bad flags exit 2 with a message naming the problem', async () => {
    const m = models.dense;
    const cases: [string[], RegExp][] = [
      [['reconstruct', '--model', m, '--n', '0', '--out', 'x.png'], /--n.*between 1/],
      [['reconstruct', '--model', m, '--n', 'many', '--out', 'x.png'], /expected an integer, got "many"/],
      [['reconstruct', '--model', m, '--out', 'x.jpg'], /unsupported extension "\.jpg"; expected \.png or \.safetensors/],
      [['reconstruct', '--model', m, '--out', 'x'], /no file extension; expected \.png or \.safetensors/],
      [['reconstruct', '--model', m, '--input', 'a.png', '--n', '3', '--out', 'x.png'], /cannot be used with option '--n/],
      [['reconstruct', '--model', m, '--out', 'x.png', '--bogus'], /unknown option '--bogus'/],
      [['reconstruct', '--model', m, '--out', 'x.png', '--backend', 'gpu'], /--backend.*Allowed choices are wasm, js/],
      [['reconstruct', '--model', m], /required option '--out <file>'/],
      [['encode', '--model', m, '--out', 'codes.png'], /expected \.safetensors/],
      [['encode', '--model', m, '--split', 'val', '--out', 'c.safetensors'], /Allowed choices are test, train/],
      [['decode', '--model', m, '--out', 'x.png'], /required option '--codes <file>'/],
      [['sample', '--model', m, '--out', 'x.png'], /required option '--n <n>'/],
      [['sample', '--model', m, '--n', '-3', '--out', 'x.png'], /between 1 and/],
      [['sample', '--model', m, '--n', '4', '--seed', '1.5', '--out', 'x.png'], /expected an integer/],
      [['manifold', '--model', m, '--size', '1', '--out', 'x.png'], /between 2 and 100/],
      [['manifold', '--model', m, '--extent', '0', '--out', 'x.png'], /must be in \(0, 100\]/],
      [['manifold', '--model', m, '--extent', 'wide', '--out', 'x.png'], /expected a number/],
      [['interpolate', '--model', m, '--from', '0', '--out', 'x.png'], /required option '--to <j>'/],
      [['interpolate', '--model', m, '--from', '0', '--to', '1', '--steps', '1', '--out', 'x.png'], /between 2 and 200/],
      [['latent', '--model', m, '--out', 'x.safetensors'], /expected \.png/],
      [['denoise', '--model', m, '--noise', 'loud', '--out', 'x.png'], /expected a number, got "loud"/],
      [['denoise', '--model', m, '--noise', '-1', '--out', 'x.png'], /must be in \[0, 10\]/],
    ];
    for (const [args, message] of cases) {
      const r = await inProcess(...args);
      expect(r.code, `${args.join(' ')}\n${show(r)}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('a usage error exits 2 from the real process too, and --n beyond the test split is one', async () => {
    const [flag, count] = await Promise.all([
      cli('latent', '--model', models.dense, '--out', out('x.png'), '--n', 'x'),
      cli('latent', '--model', models.dense, '--data', data, '--n', String(TEST_N + 1), '--out', out('x.png')),
    ]);
    expect(flag.code, show(flag)).toBe(2);
    expect(flag.stderr).toMatch(/option '--n <n>' argument 'x' is invalid/);
    expect(count.code, show(count)).toBe(2);
    expect(count.stderr).toContain(`--n ${TEST_N + 1} is more than the ${TEST_N} test digits`);
  });
});
