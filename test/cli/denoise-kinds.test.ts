// Noise kinds end to end: `train --noise-kind` records the kind (and --resume keeps it),
// `denoise` corrupts with the model's kind and level by default or any other asked for —
// exactly as training does (values replaced by 0 / 1 or left clean) — reports PSNR in
// --json, and the flags and training records that make no sense are refused.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundledSplits } from '../../src/data/bundled.js';
import { FormatError } from '../../src/errors.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { validateTrainingRecord } from '../../src/models/training-record.js';
import { idxFiles } from './idx-fixture.js';
import { inProcess } from './in-process.js';
import type { Run } from './run-cli.js';

let tmp: string;
let data: string;
let masked: string;

const show = (r: Run): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

async function ok(...args: string[]): Promise<Run> {
  const r = await inProcess(...args, '--threads', '1');
  expect(r.code, show(r)).toBe(0);
  return r;
}

async function trainingRecord(file: string): Promise<Record<string, unknown>> {
  const t = decodeSafetensors(new Uint8Array(await readFile(file)), file);
  return JSON.parse(t.metadata['training']!) as Record<string, unknown>;
}

async function noisyAndClean(file: string): Promise<{ noisy: Float32Array; clean: Float32Array }> {
  const t = decodeSafetensors(new Uint8Array(await readFile(file)), file).tensors;
  return { noisy: t.get('noisy')!.data as Float32Array, clean: t.get('clean')!.data as Float32Array };
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ae-wasm-denoise-'));
  data = join(tmp, 'digits');
  await mkdir(data);
  const bundled = await loadBundledSplits();
  for (const [stem, ds, n] of [['train', bundled.train, 256], ['t10k', bundled.test, 40]] as const) {
    const { images, labels } = idxFiles(ds, n);
    await writeFile(join(data, `${stem}-images-idx3-ubyte`), images);
    await writeFile(join(data, `${stem}-labels-idx1-ubyte`), labels);
  }
  const out = join(tmp, 'masked');
  await ok('train', '--preset', 'dense', '--latent', '8', '--data', data, '--epochs', '1', '--noise-kind', 'mask', '--noise', '0.4', '--checkpoint-every', '1', '--quiet', '--out', out);
  masked = join(out, 'model.safetensors');
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('train --noise-kind', () => {
  it('records the kind beside the level, and --resume keeps it (and refuses to change it)', async () => {
    const record = await trainingRecord(masked);
    expect(record['noise_kind']).toBe('mask');
    expect(record['noise']).toBe(0.4);
    const resumed = await ok('train', '--resume', join(tmp, 'masked', 'checkpoint.safetensors'), '--epochs', '2', '--quiet');
    expect(resumed.stderr).toBe('');
    expect((await trainingRecord(masked))['noise_kind']).toBe('mask');
    const change = await inProcess('train', '--resume', join(tmp, 'masked', 'checkpoint.safetensors'), '--epochs', '3', '--noise-kind', 'gaussian');
    expect(change.code, show(change)).toBe(2);
    expect(change.stderr).toContain('--noise-kind cannot be changed with --resume');
  });

  it('refuses a kind without a level, a probability above 1 and an unknown kind', async () => {
    const cases: [string[], RegExp][] = [
      [['--noise-kind', 'mask'], /--noise-kind mask needs --noise LEVEL > 0 \(preset dense adds no noise by default\)/],
      [['--noise-kind', 'salt-pepper', '--noise', '1.5'], /--noise is the probability a value is replaced for salt-pepper noise: it must be in \[0, 1\], got 1.5/],
      [['--noise-kind', 'speckle', '--noise', '0.1'], /argument 'speckle' is invalid. Allowed choices are gaussian, salt-pepper, mask/],
    ];
    for (const [args, message] of cases) {
      const r = await inProcess('train', '--data', data, '--epochs', '1', '--out', join(tmp, 'never'), ...args);
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('training records: an unknown kind, or a share above 1, is a FormatError naming the field', () => {
    const base = { loss: 'mse', optimizer: { name: 'adam' }, noise: 0.3, l1: 0, beta: 1, seed: 0 };
    expect(validateTrainingRecord({ ...base, noise_kind: 'salt-pepper' }, 'm.safetensors')['noise_kind']).toBe('salt-pepper');
    expect(() => validateTrainingRecord({ ...base, noise_kind: 'toString' }, 'm.safetensors')).toThrow(
      /m.safetensors: training record noise_kind must be one of "gaussian", "salt-pepper", "mask", got/,
    );
    expect(() => validateTrainingRecord({ ...base, noise_kind: 'mask', noise: 3 }, 'm.safetensors')).toThrow(FormatError);
    // Gaussian levels are stddevs: above 1 is fine.
    expect(validateTrainingRecord({ ...base, noise_kind: 'gaussian', noise: 3 }, 'm.safetensors')['noise']).toBe(3);
  });
});

describe('denoise --noise-kind', () => {
  it("defaults to the model's training kind and level; --json gives the figures", async () => {
    const r = await ok('denoise', '--model', masked, '--data', data, '--json', '--out', join(tmp, 'mask.safetensors'));
    const f = JSON.parse(r.stdout) as Record<string, number | string>;
    expect(f['kind']).toBe('mask');
    expect(f['level']).toBe(0.4);
    expect(f['n']).toBe(12);
    for (const key of ['mse_noisy', 'mse_denoised', 'mse_clean', 'psnr_noisy', 'psnr_denoised', 'psnr_clean']) expect(Number.isFinite(f[key]), key).toBe(true);
    expect(f['psnr_noisy']).toBeCloseTo(10 * Math.log10(1 / (f['mse_noisy'] as number)), 10);
    const { noisy, clean } = await noisyAndClean(join(tmp, 'mask.safetensors'));
    let zeroed = 0;
    let lit = 0;
    for (let i = 0; i < noisy.length; i++) {
      if (clean[i]! > 0) {
        lit++;
        if (noisy[i] === 0) zeroed++;
        else expect(noisy[i]).toBe(clean[i]);
      } else expect(noisy[i]).toBe(0);
    }
    // A share 0.4 of the lit pixels masked (binomial, 5 standard deviations).
    expect(Math.abs(zeroed / lit - 0.4)).toBeLessThan(5 * Math.sqrt(0.24 / lit));
    const text = await ok('denoise', '--model', masked, '--data', data, '--out', join(tmp, 'mask.png'));
    expect(text.stdout).toMatch(/^mask noise 0.4 \(the training noise\): MSE per value vs clean: noisy [\d.]+, denoised [\d.]+; PSNR noisy [\d.]+ dB, denoised [\d.]+ dB, clean reconstruction [\d.]+ dB\n/);
  });

  it('salt-pepper sets values to 0 or 1 (half each), the same for the same seed and another for another seed', async () => {
    const run = async (seed: string, name: string) => {
      const r = await ok('denoise', '--model', masked, '--data', data, '--noise-kind', 'salt-pepper', '--noise', '0.2', '--n', '40', '--seed', seed, '--json', '--out', join(tmp, name));
      expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'salt-pepper', level: 0.2, seed: Number(seed), n: 40 });
      return noisyAndClean(join(tmp, name));
    };
    const a = await run('5', 'sp-a.safetensors');
    const b = await run('5', 'sp-b.safetensors');
    const c = await run('6', 'sp-c.safetensors');
    expect(Array.from(b.noisy)).toEqual(Array.from(a.noisy));
    expect(c.noisy.some((v, i) => v !== a.noisy[i])).toBe(true);
    let salt = 0;
    let pepper = 0;
    let candidates = 0;
    for (let i = 0; i < a.noisy.length; i++) {
      const x = a.clean[i]!;
      // Only values strictly inside (0, 1) show both kinds of replacement.
      if (x <= 0 || x >= 1) continue;
      candidates++;
      if (a.noisy[i] === 1) salt++;
      else if (a.noisy[i] === 0) pepper++;
      else expect(a.noisy[i]).toBe(x);
    }
    const bound = (p: number) => 5 * Math.sqrt((p * (1 - p)) / candidates);
    expect(Math.abs(salt / candidates - 0.1)).toBeLessThan(bound(0.1));
    expect(Math.abs(pepper / candidates - 0.1)).toBeLessThan(bound(0.1));
  });

  it("a table model (standardised): salt and pepper are the test split's min and max, in the model's values", async () => {
    const rows = Array.from({ length: 120 }, (_, i) => [Math.sin(i), Math.cos(3 * i) * 4, (i % 7) - 3, i / 10]);
    const csv = join(tmp, 'table.csv');
    await writeFile(csv, ['a,b,c,d', ...rows.map((r) => r.join(','))].join('\n') + '\n');
    const out = join(tmp, 'table-model');
    await ok('train', '--preset', 'dense', '--latent', '2', '--data', csv, '--epochs', '1', '--noise-kind', 'salt-pepper', '--noise', '0.3', '--quiet', '--out', out);
    const r = await ok('denoise', '--model', join(out, 'model.safetensors'), '--data', csv, '--n', '24', '--json', '--out', join(tmp, 'table.safetensors'));
    const f = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(f).toMatchObject({ kind: 'salt-pepper', level: 0.3, n: 24 });
    // No peak to a PSNR of standardised values.
    expect(f['psnr_noisy']).toBeUndefined();
    const { noisy, clean } = await noisyAndClean(join(tmp, 'table.safetensors'));
    const lo = Math.min(...clean);
    const hi = Math.max(...clean);
    expect(lo).toBeLessThan(-1);
    let replaced = 0;
    for (let i = 0; i < noisy.length; i++) {
      if (noisy[i] !== clean[i]) {
        replaced++;
        expect([lo, hi]).toContain(noisy[i]);
      }
    }
    expect(replaced).toBeGreaterThan(0.1 * noisy.length);
  });

  it('refuses a share above 1 for salt-pepper and mask, and an unknown kind', async () => {
    const cases: [string[], RegExp][] = [
      [['--noise-kind', 'mask', '--noise', '2'], /--noise is the probability a value is replaced for mask noise: it must be in \[0, 1\], got 2/],
      [['--noise-kind', 'blur'], /argument 'blur' is invalid/],
    ];
    for (const [args, message] of cases) {
      const r = await inProcess('denoise', '--model', masked, '--data', data, '--out', join(tmp, 'x.png'), ...args);
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('eval reports denoise_mse under the training kind', async () => {
    const r = await ok('eval', '--model', masked, '--data', data, '--json');
    const m = JSON.parse(r.stdout) as Record<string, number>;
    expect(m['denoise_mse']).toBeGreaterThan(m['mse']!);
  });
});
