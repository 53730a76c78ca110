// The ae-wasm command end to end, through real child processes (`node --import tsx
// src/cli/main.ts ...`), on a tiny IDX data set written to a temp dir: outputs of train,
// eval and summary, usage errors (exit 2, message naming the flag), failures (exit 1, one
// line naming the file, no stack trace), --version and --help.
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundledSplits } from '../../src/data/bundled.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { JsKernels } from '../../src/kernels/js.js';
import { loadModel } from '../../src/models/node.js';
import { decodePng } from '../../src/viz/decode-png.js';
import { idxFiles } from './idx-fixture.js';
import { cli, ROOT, type Run } from './run-cli.js';

const TRAIN_N = 200;
const TEST_N = 50;


const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

// ---------------------------------------------------------------- IDX fixture

let tmp: string;
let data: string;
const out = (name: string) => join(tmp, 'runs', name);
const runs: Record<'main' | 'quiet' | 'val' | 'noise', Run> = {} as never;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ae-wasm-cli-'));
  data = join(tmp, 'data');
  await mkdir(data);
  const splits = await loadBundledSplits();
  const train = idxFiles(splits.train, TRAIN_N);
  const test = idxFiles(splits.test, TEST_N);
  // Two raw, two gzipped: the reader takes either.
  await writeFile(join(data, 'train-images-idx3-ubyte'), train.images);
  await writeFile(join(data, 'train-labels-idx1-ubyte.gz'), gzipSync(train.labels));
  await writeFile(join(data, 't10k-images-idx3-ubyte.gz'), gzipSync(test.images));
  await writeFile(join(data, 't10k-labels-idx1-ubyte'), test.labels);

  // The training runs the later tests read, two at a time (2 cores).
  const [main, quiet] = await Promise.all([
    cli('train', '--preset', 'dense', '--epochs', '2', '--batch', '32', '--data', data, '--out', out('main')),
    cli('train', '--preset', 'dense', '--epochs', '1', '--batch', '50', '--data', data, '--out', out('quiet'), '--quiet'),
  ]);
  const [val, noise] = await Promise.all([
    cli('train', '--epochs', '2', '--batch', '32', '--val-split', '0.2', '--patience', '3', '--data', data, '--out', out('val')),
    cli('train', '--epochs', '1', '--batch', '50', '--noise', '0.3', '--latent', '16', '--data', data, '--out', out('noise'), '--quiet'),
  ]);
  Object.assign(runs, { main, quiet, val, noise });
}, 120_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

interface HistoryFile {
  epochs: { epoch: number; loss: number; test_mse: number; seconds: number; samples_per_sec: number; val_loss?: number }[];
}

async function history(name: string): Promise<HistoryFile> {
  return JSON.parse(await readFile(join(out(name), 'history.json'), 'utf8')) as HistoryFile;
}

const isPositiveFinite = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;

// ---------------------------------------------------------------- train

describe('ae-wasm train', () => {
  it('writes model.safetensors, history.json and two PNGs; one plain line per epoch on stdout', async () => {
    const r = runs.main;
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr, show(r)).toBe('');

    const h = await history('main');
    expect(Object.keys(h)).toEqual(['epochs']);
    expect(h.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    for (const e of h.epochs) {
      expect(Object.keys(e).sort()).toEqual(['epoch', 'loss', 'samples_per_sec', 'seconds', 'test_mse']);
      for (const key of ['loss', 'test_mse', 'seconds', 'samples_per_sec'] as const) expect(isPositiveFinite(e[key]), `${key} = ${e[key]}`).toBe(true);
      expect(e.test_mse).toBeLessThan(0.5);
    }
    expect(h.epochs[1]!.loss).toBeLessThan(h.epochs[0]!.loss);

    // Not a TTY: no progress bar, no carriage returns or escape codes; one line per epoch
    // carrying the numbers history.json holds.
    expect(r.stdout).not.toMatch(/[\r\u001b]/);
    const epochLines = r.stdout.split('\n').filter((l) => /^epoch\s/.test(l));
    expect(epochLines.length, show(r)).toBe(2);
    epochLines.forEach((line, i) => {
      expect(line).toMatch(new RegExp(`^epoch ${i + 1}/2\\b`));
      expect(line).toContain(`loss ${h.epochs[i]!.loss.toFixed(5)}`);
      expect(line).toContain(`test_mse ${h.epochs[i]!.test_mse.toFixed(5)}`);
    });
    expect(r.stdout).toContain(`${TRAIN_N} train, ${TEST_N} test`);

    // The model file is ours, trained on the given data, with the run's settings.
    const bytes = new Uint8Array(await readFile(join(out('main'), 'model.safetensors')));
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata['format']).toBe('ae-wasm/1');
    expect(tensors.get('encoder.1.kernel')!.shape).toEqual([784, 64]);
    const training = JSON.parse(metadata['training']!);
    expect(training).toMatchObject({ preset: 'dense', loss: 'mse', seed: 0, batch_size: 32, epochs: 2, noise: 0 });
    expect(training.optimizer.name).toBe('adam');

    const recon = decodePng(await readFile(join(out('main'), 'reconstructions.png')), 'reconstructions.png');
    // 12 digits per row at scale 2, two rows (original, reconstructed).
    expect(recon.width).toBeGreaterThanOrEqual(12 * 56);
    expect(recon.height).toBeGreaterThanOrEqual(2 * 56);
    expect(recon.width).toBeLessThan(4000);
    expect(recon.height).toBeLessThan(4000);
    expect(new Set(recon.data).size).toBeGreaterThan(10);
    const loss = decodePng(await readFile(join(out('main'), 'loss.png')), 'loss.png');
    expect(loss.width).toBeGreaterThanOrEqual(200);
    expect(loss.height).toBeGreaterThanOrEqual(150);
    expect(loss.width).toBeLessThan(4000);
    expect(new Set(loss.data).size).toBeGreaterThan(2);
  });

  it('--quiet prints nothing on stdout or stderr and still writes every file', async () => {
    const r = runs.quiet;
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    for (const f of ['model.safetensors', 'history.json', 'reconstructions.png', 'loss.png']) {
      expect((await stat(join(out('quiet'), f))).size, f).toBeGreaterThan(0);
    }
    expect((await history('quiet')).epochs.length).toBe(1);
  });

  it('--val-split 0.2 --patience 3 adds a finite val_loss to every epoch', async () => {
    const r = runs.val;
    expect(r.code, show(r)).toBe(0);
    const h = await history('val');
    expect(h.epochs.length).toBe(2);
    for (const e of h.epochs) expect(isPositiveFinite(e.val_loss), `val_loss = ${e.val_loss}`).toBe(true);
    const epochLines = r.stdout.split('\n').filter((l) => /^epoch\s/.test(l));
    expect(epochLines.length, show(r)).toBe(2);
    epochLines.forEach((line, i) => expect(line).toContain(`val_loss ${h.epochs[i]!.val_loss!.toFixed(5)}`));
  });
});

// ---------------------------------------------------------------- eval and summary

describe('ae-wasm eval and summary', () => {
  it('eval --json prints one JSON object with n, mse and bce; its mse is the last epoch test_mse', async () => {
    const r = await cli('eval', '--model', join(out('main'), 'model.safetensors'), '--data', data, '--json');
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length, show(r)).toBe(1);
    const m = JSON.parse(lines[0]!) as Record<string, number>;
    expect(Object.keys(m).sort()).toEqual(['bce', 'mse', 'mse_data', 'n']);
    expect(m['n']).toBe(TEST_N);
    expect(isPositiveFinite(m['mse'])).toBe(true);
    expect(isPositiveFinite(m['bce'])).toBe(true);
    expect(m['mse']).toBeLessThan(m['bce']!);
    // IDX pixels are scaled by 255: the data's units are the model's times 255 (float32 rounding aside).
    expect(m['mse_data']! / (m['mse']! * 255 ** 2)).toBeCloseTo(1, 4);
    // Same weights, data and backend as the end of training: the same number.
    const h = await history('main');
    expect(m['mse']).toBe(h.epochs[1]!.test_mse);
  });

  it('eval without --json prints a readable table', async () => {
    const r = await cli('eval', '--model', join(out('main'), 'model.safetensors'), '--data', data);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).not.toMatch(/^\s*\{/);
    expect(r.stdout).toContain('model.safetensors');
    expect(r.stdout).toMatch(/test samples\s+50\n/);
    const h = await history('main');
    expect(r.stdout).toMatch(new RegExp(`MSE per value\\s+${h.epochs[1]!.test_mse.toFixed(6)}\\n`));
    expect(r.stdout).toMatch(/BCE per pixel\s+\d+\.\d{6}\n/);
    expect(r.stdout).not.toMatch(/denois/i);
  });

  it('eval of a model trained with --noise 0.3 also reports denoise_mse', async () => {
    expect(runs.noise.code, show(runs.noise)).toBe(0);
    const r = await cli('eval', '--model', join(out('noise'), 'model.safetensors'), '--data', data, '--json');
    expect(r.code, show(r)).toBe(0);
    const m = JSON.parse(r.stdout) as Record<string, number>;
    expect(Object.keys(m).sort()).toEqual(['bce', 'denoise_mse', 'mse', 'mse_data', 'n']);
    expect(m['n']).toBe(TEST_N);
    for (const key of ['mse', 'bce', 'denoise_mse']) expect(isPositiveFinite(m[key]), `${key} = ${m[key]}`).toBe(true);
    // Measured on noisy inputs, so not the clean-input number (a 3-step model need not do worse on them).
    expect(m['denoise_mse']).not.toBe(m['mse']);
    // The training record carries the noise level eval used.
    const { metadata } = decodeSafetensors(new Uint8Array(await readFile(join(out('noise'), 'model.safetensors'))));
    expect(JSON.parse(metadata['training']!).noise).toBe(0.3);
  });

  it('summary prints the layer table and the total parameter count', async () => {
    const file = join(out('main'), 'model.safetensors');
    const r = await cli('summary', '--model', file);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toBe('');
    const text = r.stdout;
    expect(text).toMatch(/encoder\.0 \(Flatten\)\s+\(None, 784\)\s+0\n/);
    expect(text).toMatch(/encoder\.1 \(Dense\)\s+\(None, 64\)\s+50,240\n/);
    expect(text).toMatch(/decoder\.0 \(Dense\)\s+\(None, 784\)\s+50,960\n/);
    expect(text).toMatch(/decoder\.1 \(Reshape\)\s+\(None, 28, 28, 1\)\s+0\n/);
    const order = ['encoder.0', 'encoder.1', 'decoder.0', 'decoder.1'].map((n) => text.indexOf(n));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const model = await loadModel(file, { kernels: new JsKernels() });
    expect(model.params.count).toBe(101_200);
    expect(text).toContain(`Total params: ${model.params.count.toLocaleString('en-US')}`);

    const noise = await cli('summary', '--model', join(out('noise'), 'model.safetensors'));
    expect(noise.code, show(noise)).toBe(0);
    expect(noise.stdout).toMatch(/encoder\.1 \(Dense\)\s+\(None, 16\)\s+12,560\n/);
    expect(noise.stdout).toContain(`Total params: ${(784 * 16 + 16 + 16 * 784 + 784).toLocaleString('en-US')}`);
  });
});

// ---------------------------------------------------------------- usage errors

/** Exit 2, a message on stderr naming the flag, nothing on stdout, no stack trace. */
function expectUsageError(r: Run, ...mentions: (string | RegExp)[]): void {
  expect(r.code, show(r)).toBe(2);
  expect(r.stdout, show(r)).toBe('');
  for (const m of mentions) {
    if (typeof m === 'string') expect(r.stderr, show(r)).toContain(m);
    else expect(r.stderr, show(r)).toMatch(m);
  }
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe.concurrent('bad input exits with code 2 and names the flag', () => {
  it('unknown flag', async () => expectUsageError(await cli('train', '--bogus-flag'), '--bogus-flag'));
  it('unknown command', async () => expectUsageError(await cli('trian'), 'trian'));
  it('--epochs abc', async () => expectUsageError(await cli('train', '--epochs', 'abc'), '--epochs', 'abc', /integer/));
  it('--epochs 0', async () => expectUsageError(await cli('train', '--epochs', '0'), '--epochs', /\b0\b/));
  it('--epochs 1.5', async () => expectUsageError(await cli('train', '--epochs', '1.5'), '--epochs', /integer/));
  it('--batch 0', async () => expectUsageError(await cli('train', '--batch', '0'), '--batch', /\b0\b/));
  it('--val-split 1', async () => expectUsageError(await cli('train', '--val-split', '1'), '--val-split', /\b1\b/));
  it('--lr -1', async () => expectUsageError(await cli('train', '--lr', '-1'), '--lr', '-1'));
  it('--lr 0', async () => expectUsageError(await cli('train', '--lr', '0'), '--lr'));
  it('--preset foo', async () => expectUsageError(await cli('train', '--preset', 'foo'), '--preset', 'foo', 'dense'));
  it('--optimizer rmsprop', async () => expectUsageError(await cli('train', '--optimizer', 'rmsprop'), '--optimizer', 'rmsprop', 'adam'));
  it('--latent 8 with --preset conv', async () =>
    expectUsageError(await cli('train', '--preset', 'conv', '--latent', '8'), '--latent', 'conv', /fixed/));
  it('--momentum 0.9 without --optimizer sgd', async () =>
    expectUsageError(await cli('train', '--momentum', '0.9'), '--momentum', '--optimizer sgd'));
  it('--patience 2 without --val-split', async () => expectUsageError(await cli('train', '--patience', '2'), '--patience', '--val-split'));
  it('eval without --model', async () => expectUsageError(await cli('eval'), '--model'));
});

// ---------------------------------------------------------------- failures

/** Exit 1 with exactly one line on stderr, prefixed "ae-wasm: ", no stack trace. */
function expectFailure(r: Run, ...mentions: string[]): void {
  expect(r.code, show(r)).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines.length, show(r)).toBe(1);
  expect(lines[0]!.startsWith('ae-wasm: '), show(r)).toBe(true);
  expect(r.stderr).not.toMatch(/\bat .*:\d+:\d+/);
  expect(r.stderr).not.toMatch(/unexpected error/);
  for (const m of mentions) expect(lines[0], show(r)).toContain(m);
}

describe.concurrent('failures exit 1 with one line naming the file', () => {
  it('eval --model missing.safetensors', async () => {
    const r = await cli('eval', '--model', 'missing.safetensors', '--data', data);
    expectFailure(r, 'missing.safetensors');
    expect(r.stderr).toMatch(/no such file/);
  });

  it('eval and summary on a truncated model file', async () => {
    const bad = join(tmp, 'truncated.safetensors');
    const bytes = await readFile(join(out('main'), 'model.safetensors'));
    await writeFile(bad, bytes.subarray(0, Math.floor(bytes.length / 2)));
    expectFailure(await cli('eval', '--model', bad, '--data', data), bad);
    expectFailure(await cli('summary', '--model', bad), bad);
  });

  it('--data pointing at a directory without IDX files names the missing files', async () => {
    const empty = join(tmp, 'empty-data');
    await mkdir(empty, { recursive: true });
    const r = await cli('train', '--epochs', '1', '--data', empty, '--out', join(tmp, 'runs', 'never'));
    expectFailure(r, empty, 'train-images-idx3-ubyte', 't10k-labels-idx1-ubyte');
    await expect(stat(join(tmp, 'runs', 'never'))).rejects.toThrow();
  });

  it('--data with only some files names exactly the missing one', async () => {
    const partial = join(tmp, 'partial-data');
    await mkdir(partial, { recursive: true });
    for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz']) await copyFile(join(data, f), join(partial, f));
    const r = await cli('eval', '--model', join(out('main'), 'model.safetensors'), '--data', partial);
    expectFailure(r, 't10k-labels-idx1-ubyte');
    expect(r.stderr).toContain('found t10k-images-idx3-ubyte[.gz] but not t10k-labels-idx1-ubyte[.gz]');
    expect(r.stderr).not.toContain('train-images-idx3-ubyte');
  });

  it('a truncated IDX file is named', async () => {
    const corrupt = join(tmp, 'corrupt-data');
    await mkdir(corrupt, { recursive: true });
    for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte.gz', 't10k-labels-idx1-ubyte']) await copyFile(join(data, f), join(corrupt, f));
    const images = await readFile(join(data, 't10k-images-idx3-ubyte.gz'));
    const { gunzipSync } = await import('node:zlib');
    const raw = gunzipSync(images);
    await writeFile(join(corrupt, 't10k-images-idx3-ubyte'), raw.subarray(0, raw.length - 300));
    const r = await cli('train', '--epochs', '1', '--data', corrupt, '--out', join(tmp, 'runs', 'never2'));
    expectFailure(r, join(corrupt, 't10k-images-idx3-ubyte'), 'truncated');
  });

  it('a corrupt gzip IDX file is named', async () => {
    const corrupt = join(tmp, 'corrupt-gz');
    await mkdir(corrupt, { recursive: true });
    for (const f of ['train-images-idx3-ubyte', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte']) await copyFile(join(data, f), join(corrupt, f));
    await writeFile(join(corrupt, 'train-labels-idx1-ubyte.gz'), Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5]));
    const r = await cli('eval', '--model', join(out('main'), 'model.safetensors'), '--data', corrupt);
    expectFailure(r, join(corrupt, 'train-labels-idx1-ubyte.gz'), 'gzip');
  });
});

// ---------------------------------------------------------------- version and help

describe.concurrent('--version and --help', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await cli('--version');
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
    expect(r.stderr).toBe('');
  });

  it('--help lists the commands', async () => {
    const r = await cli('--help');
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/Usage: ae-wasm/);
    for (const c of ['train', 'eval', 'summary']) expect(r.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
    expect(r.stdout).toContain('--version');
  });

  it('train --help lists the flags', async () => {
    const r = await cli('train', '--help');
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/Usage: ae-wasm train/);
    const flags = ['--preset', '--latent', '--epochs', '--batch', '--lr', '--optimizer', '--momentum', '--loss', '--seed', '--val-split',
      '--patience', '--noise', '--l1', '--beta', '--out', '--quiet', '--data', '--backend'];
    for (const f of flags) expect(r.stdout).toMatch(new RegExp(`^\\s+${f}\\b`, 'm'));
  });
});
