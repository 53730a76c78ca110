// Hostile inputs to the commands (issue 11): each gets a typed one-line error, before any
// work where it can be known then, or correct behaviour. Models here are untrained (fast);
// "huge" ones hold finite weights of +-3e38 that overflow float32 in the forward pass.
// Commands run in-process through main(), what the child process runs, on one thread.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundledSplits } from '../../src/data/bundled.js';
import type { Dataset } from '../../src/data/dataset.js';
import { ArgumentError } from '../../src/errors.js';
import { encodeSafetensors } from '../../src/io/safetensors.js';
import { createKernels, defaultThreads, maxThreads } from '../../src/kernels/node.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { saveModel } from '../../src/models/node.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { decodePng } from '../../src/viz/index.js';
import { editRecord, trainingRecord } from '../models/model-fixtures.js';
import { idxFiles } from './idx-fixture.js';
import { inProcess } from './in-process.js';
import type { Run } from './run-cli.js';

const show = (r: Run): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** The command in this process, on one thread (summary takes no --threads). */
function run(...args: string[]): Promise<Run> {
  return inProcess(...(args[0] === 'summary' ? args : [...args, '--threads', '1']));
}

/** Expects exit `code` with exactly one stderr line matching `message`. */
function expectRefused(r: Run, code: number, message: RegExp | string): void {
  expect(r.code, show(r)).toBe(code);
  expect(r.stderr.trim().split('\n'), show(r)).toHaveLength(1);
  if (typeof message === 'string') expect(r.stderr).toContain(message);
  else expect(r.stderr).toMatch(message);
}

let tmp: string;
const models = { dense: '', vae: '', hugeVae: '', hugeDense: '', saturated: '' };
const dirs = { emptyTest: '', emptyTrain: '', classes47: '', label200: '' };
const out = (name: string): string => join(tmp, 'out', name);

async function writeIdx(dir: string, train: Dataset, nTrain: number, test: Dataset, nTest: number, labels?: (i: number) => number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [stem, ds, n] of [['train', train, nTrain], ['t10k', test, nTest]] as const) {
    const files = idxFiles(ds, n);
    if (labels) for (let i = 0; i < n; i++) files.labels[8 + i] = labels(i);
    await writeFile(join(dir, `${stem}-images-idx3-ubyte`), files.images);
    await writeFile(join(dir, `${stem}-labels-idx1-ubyte`), files.labels);
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(join(os.tmpdir(), 'ae-wasm-hostile-'));
  await mkdir(join(tmp, 'out'));
  const kernels = await createKernels({ backend: 'js' });
  for (const [key, preset, latent, huge] of [
    ['dense', 'dense', 8, false],
    ['vae', 'vae', 2, false],
    ['hugeVae', 'vae', 2, true],
    ['hugeDense', 'dense', 8, true],
    ['saturated', 'dense', 8, false],
  ] as const) {
    const model = new Autoencoder(kernels, presetArchitecture(preset, latent)).initialize(3);
    // Mixed signs: float32 sums of +-3e38 products overflow to +-Infinity (the encoder's
    // z_mean), and the next layer meets them with both signs as NaN. In the decoder, the
    // first layer's units are +Infinity for every code with |z0 + z1| > 0.13 (half of them),
    // and the second layer's weights change sign every two units, so decoding gives NaN.
    const value = (name: string, i: number): number => {
      const sign = name === 'decoder.1.kernel' ? Math.floor(i / 784) % 4 < 2 : i % 2;
      return name === 'decoder.0.bias' ? 3e38 : sign ? 3e38 : -3e38;
    };
    if (huge) for (const p of model.params.list) model.params.write(p, Float32Array.from({ length: p.size }, (_, i) => value(p.name, i)));
    // All +3e38: every sigmoid saturates at exactly 0 or 1, finite; BCE's clipping keeps it >= 0.
    if (key === 'saturated') for (const p of model.params.list) model.params.write(p, new Float32Array(p.size).fill(3e38));
    model.training = trainingRecord(preset);
    models[key] = join(tmp, `${key}.safetensors`);
    await saveModel(model, models[key]);
    model.dispose();
  }
  const { train, test } = await loadBundledSplits();
  dirs.emptyTest = join(tmp, 'empty-test');
  await writeIdx(dirs.emptyTest, train, 20, test, 0);
  dirs.emptyTrain = join(tmp, 'empty-train');
  await writeIdx(dirs.emptyTrain, train, 0, test, 20);
  dirs.classes47 = join(tmp, 'classes-47');
  await writeIdx(dirs.classes47, train, 20, test, 94, (i) => i % 47);
  dirs.label200 = join(tmp, 'label-200');
  await writeIdx(dirs.label200, train, 20, test, 20, (i) => (i === 7 ? 200 : i % 10));
}, 120_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('non-finite model outputs are a NumericError, never null or a negative metric', () => {
  const cause = /weights are likely out of range \(finite but so large that the forward pass overflows float32\)/;

  it('eval of finite 3e38 weights exits 1 naming the metric and the first sample, on both backends', async () => {
    for (const backend of ['wasm', 'js']) {
      const r = await run('eval', '--model', models.hugeVae, '--json', '--backend', backend);
      expectRefused(r, 1, /huge(Vae)?\.safetensors: mse is NaN on the 2000 test images: the reconstruction of sample 0 is NaN at element 0; /);
      expect(r.stderr).toMatch(cause);
      expect(r.stdout).toBe('');
    }
  });

  it('eval metrics of a saturated model and an untrained one are finite and >= 0 (BCE clipped as Keras does)', async () => {
    for (const m of [models.saturated, models.dense, models.vae]) {
      const r = await run('eval', '--model', m, '--json');
      expect(r.code, show(r)).toBe(0);
      const metrics = JSON.parse(r.stdout) as Record<string, number>;
      for (const [k, v] of Object.entries(metrics)) {
        expect(Number.isFinite(v), `${m} ${k}`).toBe(true);
        expect(v, `${m} ${k}`).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('every command computing from the model refuses its non-finite outputs and writes nothing', async () => {
    const m = models.hugeVae;
    const codes = join(tmp, 'unit-codes.safetensors');
    await writeFile(codes, encodeSafetensors([{ name: 'codes', dtype: 'F32', shape: [3, 2], data: new Float32Array(6).fill(1) }], {}));
    const cases: [string[], RegExp][] = [
      [['reconstruct', '--n', '3'], /the reconstruction of sample 0 is NaN/],
      [['denoise', '--n', '3'], /the reconstruction of sample 0 is NaN/],
      [['latent', '--n', '3'], /the z_mean of sample 0 is (NaN|-?Infinity)/],
      [['interpolate', '--from', '0', '--to', '1'], /the code of test digit #0 of sample 0 is (NaN|-?Infinity)/],
      [['sample', '--n', '3'], /the decoded image of sample 0 is NaN/],
      [['manifold', '--size', '3'], /the decoded image of sample 1 is NaN/], // sample 0 has z0 + z1 = 0
      [['decode', '--codes', codes], /the decoded image of sample 0 is NaN/],
    ];
    for (const [args, message] of cases) {
      const file = out(`${args[0]}.png`);
      const r = await run(args[0]!, '--model', m, ...args.slice(1), '--out', file);
      expectRefused(r, 1, message);
      expect(r.stderr).toMatch(cause);
      expect(existsSync(file), file).toBe(false);
    }
    const r = await run('encode', '--model', m, '--out', out('codes.safetensors'));
    expectRefused(r, 1, /the z_mean of sample 0 is (NaN|-?Infinity)/);
  });
});

describe('empty splits are a DataError before any work', () => {
  it('names the split and the source, for every command reading it', async () => {
    const want = `the test split has 0 images (IDX files in ${dirs.emptyTest}: 20 train, 0 test, [28, 28, 1]); this command needs at least one`;
    for (const args of [
      ['eval', '--model', models.dense, '--json'],
      ['reconstruct', '--model', models.dense, '--out', out('r.png')],
      ['latent', '--model', models.dense, '--out', out('l.png')],
      ['denoise', '--model', models.dense, '--out', out('d.png')],
      ['interpolate', '--model', models.dense, '--from', '0', '--to', '0', '--out', out('i.png')],
      ['encode', '--model', models.dense, '--out', out('e.safetensors')],
    ]) {
      const r = await run(...args, '--data', dirs.emptyTest);
      expectRefused(r, 1, want);
      expect(r.stdout).toBe('');
    }
    // The split a command does not read may be empty.
    const r = await run('encode', '--model', models.dense, '--split', 'train', '--data', dirs.emptyTest, '--out', out('e.safetensors'));
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain('encoded 20 train images');
  });

  it('train refuses an empty training split before writing anything', async () => {
    const dir = out('train-empty');
    const r = await run('train', '--data', dirs.emptyTrain, '--epochs', '1', '--out', dir, '--quiet');
    expectRefused(r, 1, `the train split has 0 images (IDX files in ${dirs.emptyTrain}: 0 train, 20 test, [28, 28, 1])`);
    expect(existsSync(join(dir, 'model.safetensors'))).toBe(false);
  });
});

describe('labels', () => {
  it('latent colours every class of a 47-class (EMNIST balanced) split', async () => {
    const file = out('latent-47.png');
    const r = await run('latent', '--model', models.dense, '--data', dirs.classes47, '--out', file);
    expect(r.code, show(r)).toBe(0);
    const img = decodePng(new Uint8Array(readFileSync(file)));
    // Wider than the 720 px of ten classes: the legend's extra columns.
    expect(img.width).toBeGreaterThan(720);
  });

  it('a label over 63 is refused at load, naming the file, index and value', async () => {
    const r = await run('latent', '--model', models.dense, '--data', dirs.label200, '--out', out('l.png'));
    expectRefused(r, 1, `${join(dirs.label200, 'train-labels-idx1-ubyte')}: label 200 at index 7 is outside 0..63 (at most 64 classes)`);
  });
});

describe('picture sizes', () => {
  it('decode of 200,000 codes to a PNG is refused before decoding, suggesting .safetensors', async () => {
    const codes = join(tmp, 'many-codes.safetensors');
    await writeFile(codes, encodeSafetensors([{ name: 'codes', dtype: 'F32', shape: [200000, 2], data: new Float32Array(400000) }], {}));
    const r = await run('decode', '--model', models.vae, '--codes', codes, '--out', out('many.png'));
    expectRefused(
      r,
      2,
      `${codes} holds 200000 codes: the picture would be 958 x 725058 = 694605564 pixels, over the limit of 16777216 pixels per PNG (at most 4800 fit); ask for fewer or write .safetensors`,
    );
    expect(existsSync(out('many.png'))).toBe(false);
  });

  it('tensor output over the 1 GiB read limit is refused before decoding, naming how many fit', async () => {
    const codes = join(tmp, 'too-many-codes.safetensors');
    await writeFile(codes, encodeSafetensors([{ name: 'codes', dtype: 'F32', shape: [400000, 2], data: new Float32Array(800000) }], {}));
    const file = out('too-many.safetensors');
    expectRefused(
      await run('decode', '--model', models.vae, '--codes', codes, '--out', file),
      2,
      `${codes} holds 400000 codes: the output would be 1254400000 bytes of float32, over the 1073741824-byte file limit (at most 342392 samples of 784 values); ask for fewer`,
    );
    expect(existsSync(file)).toBe(false);
  });

  it('sample --n 100000 as a PNG is refused; the most that fit still draws', async () => {
    expectRefused(await run('sample', '--model', models.vae, '--n', '100000', '--out', out('s.png')), 2, /--n 100000: the picture would be .* \(at most 4800 fit\)/);
    const r = await run('sample', '--model', models.vae, '--n', '4800', '--out', out('s.png'));
    expect(r.code, show(r)).toBe(0);
    const img = decodePng(new Uint8Array(readFileSync(out('s.png'))));
    expect(img.width * img.height).toBeLessThanOrEqual(2 ** 24);
  });

  it('reconstruct and denoise check --n against the limit (2000 test digits fit in two rows, not in three)', async () => {
    expect((await run('reconstruct', '--model', models.dense, '--n', '2000', '--out', out('r.png'))).code).toBe(0);
    expectRefused(await run('denoise', '--model', models.dense, '--n', '2000', '--out', out('d.png')), 2, '--n 2000: the picture would be 1056 x 21808 = 23029248 pixels, over the limit of 16777216 pixels per PNG (at most 1440 fit)');
  });
});

describe('thread cap', () => {
  it('--threads and createKernels refuse more than twice the cores, naming them', async () => {
    const cores = defaultThreads();
    const max = maxThreads();
    expect(max).toBe(Math.max(4, 2 * cores));
    const r = await run('eval', '--model', models.dense, '--threads', '256');
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain(`--threads must be an integer from 1 to ${max} (twice the ${cores} core${cores === 1 ? '' : 's'} available to this process), got 256`);
    for (const threads of [max + 1, 256, 0, 2.5]) {
      await expect(createKernels({ threads })).rejects.toThrow(ArgumentError);
    }
    await expect(createKernels({ threads: 256 })).rejects.toThrow(`threads must be an integer from 1 to ${max}`);
  });
});

describe('--out is checked before any work', () => {
  it('refuses a directory, a parent that is a file, a FIFO, and the command\'s own inputs', async () => {
    const missing = join(tmp, 'no-such-model.safetensors');
    const file = join(tmp, 'a-file');
    await writeFile(file, 'x');
    const fifo = join(tmp, 'fifo.png');
    execFileSync('mkfifo', [fifo]);
    const codes = join(tmp, 'in-codes.safetensors');
    await writeFile(codes, encodeSafetensors([{ name: 'codes', dtype: 'F32', shape: [1, 2], data: new Float32Array(2) }], {}));
    // The model does not exist: each refusal comes before it is read.
    const cases: [string[], number, string][] = [
      [['reconstruct', '--model', missing, '--out', tmp], 1, `--out ${tmp}: is a directory; give a file name inside it, such as ${join(tmp, 'reconstruct.png')}`],
      [['encode', '--model', missing, '--out', join(tmp, 'out')], 1, `such as ${join(tmp, 'out', 'encode.safetensors')}`],
      [['sample', '--model', missing, '--n', '2', '--out', join(file, 'x.png')], 1, `--out ${join(file, 'x.png')}: its parent ${file} is not a directory`],
      [['sample', '--model', missing, '--n', '2', '--out', join(file, 'deeper', 'x.png')], 1, `its parent ${file} is not a directory`],
      [['latent', '--model', missing, '--out', fifo], 1, `--out ${fifo}: exists and is not a regular file (a FIFO, socket or device)`],
      [['reconstruct', '--model', models.dense, '--out', models.dense], 2, `--out ${models.dense} is the --model file: writing would replace what the command reads`],
      [['decode', '--model', models.vae, '--codes', codes, '--out', codes], 2, `--out ${codes} is the --codes file`],
    ];
    for (const [args, code, message] of cases) expectRefused(await run(...args), code, message);
    // The same file through another spelling of its path.
    expectRefused(await run('reconstruct', '--model', models.dense, '--out', join(tmp, '.', 'out', '..', 'dense.safetensors')), 2, 'is the --model file');
  });
});

describe('summary of a huge architecture', () => {
  it('200,000 layers are refused by the model limits, not by a spread overflowing the stack', async () => {
    const kernels = await createKernels({ backend: 'js' });
    const model = new Autoencoder(kernels, presetArchitecture('dense', 8)).initialize(1);
    model.training = trainingRecord('dense');
    const file = join(tmp, 'layers.safetensors');
    await saveModel(model, file);
    model.dispose();
    const bytes = editRecord(new Uint8Array(readFileSync(file)), 'architecture', (a) => {
      const parts = a.parts as Record<string, unknown[]>;
      parts.encoder = [...Array.from({ length: 200_000 }, () => ({ class_name: 'Flatten', config: {} })), ...parts.encoder!];
      return a;
    });
    await writeFile(file, bytes);
    const r = await run('summary', '--model', file);
    expectRefused(r, 1, `${file}: invalid architecture: part encoder has 200002 layers, over the limit of 256 (maxLayersPerPart)`);
  });
});
