// ae-wasm classify from the command line: the files it writes (a classifier model file that
// reloads with the accuracy the report states, report.json), its determinism, --encoder
// none with --preset / --like, a VAE's z_mean, and every refusal, leaving no OUT behind.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundledSplits } from '../../src/data/bundled.js';
import { loadSplits } from '../../src/data/load.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { decodeModel, encodeModel } from '../../src/models/model-file.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { conditionalVae } from '../models/graph-fixtures.js';
import { evaluateClassifier } from '../../src/train/classify.js';
import { wasmKernels } from '../helpers.js';
import { idxFiles } from './idx-fixture.js';
import { inProcess } from './in-process.js';

let tmp: string;
let data: string[];
/** A dense autoencoder and a VAE trained one epoch on the small IDX set. */
let ae: string;
let vae: string;

const exists = async (p: string) => (await stat(p).catch(() => null)) !== null;
const json = async (p: string) => JSON.parse(await readFile(p, 'utf8')) as Record<string, unknown>;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ae-classify-'));
  const s = await loadBundledSplits();
  for (const [stem, ds, n] of [['train', s.train, 400], ['t10k', s.test, 80]] as const) {
    const { images, labels } = idxFiles(ds, n);
    await writeFile(join(tmp, `${stem}-images-idx3-ubyte`), images);
    await writeFile(join(tmp, `${stem}-labels-idx1-ubyte`), labels);
  }
  data = ['--data', tmp];
  for (const [preset, dir] of [['dense', 'ae'], ['vae', 'vae']] as const) {
    const r = await inProcess('train', '--preset', preset, '--epochs', '1', ...data, '--out', join(tmp, dir), '--quiet');
    expect(r.stderr).toBe('');
  }
  ae = join(tmp, 'ae', 'model.safetensors');
  vae = join(tmp, 'vae', 'model.safetensors');
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

describe('ae-wasm classify', () => {
  it('writes a classifier that reloads with the accuracy report.json states, the encoder frozen, the record naming encoder, N and freeze', async () => {
    const out = join(tmp, 'frozen');
    const r = await inProcess('classify', '--encoder', ae, '--labels-per-class', '5', '--freeze', '--epochs', '30', '--seed', '3', ...data, '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/classifier on the encoder of .*model\.safetensors \(encoder\), frozen, 5 labels per class/);
    expect(r.stdout).toMatch(/epoch 30\/30 {2}loss \d/);
    expect(r.stdout).toMatch(/test accuracy 0\.\d{4} on 80 images after 30 epochs on 50 labelled images; wrote .*model\.safetensors, .*report\.json/);
    const report = await json(join(out, 'report.json'));
    const sha = createHash('sha256').update(await readFile(ae)).digest('hex');
    expect(report).toMatchObject({ encoder: ae, encoder_sha256: sha, code: 'encoder', labels_per_class: 5, labelled: 50, freeze: true, hidden: 0, seed: 3, epochs: 30, classes: 10, test_samples: 80 });
    expect(report['labels']).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const confusion = report['confusion'] as number[][];
    expect(confusion.flat().reduce((a, b) => a + b, 0)).toBe(80);
    expect((report['accuracy'] as number)).toBeCloseTo(confusion.reduce((s, row, c) => s + row[c]!, 0) / 80, 12);

    const kernels = await wasmKernels();
    const model = decodeModel(await readFile(join(out, 'model.safetensors')), kernels, 'classifier').model;
    const encoder = decodeModel(await readFile(ae), kernels, 'ae').model;
    try {
      expect(model.training!['classifier']).toMatchObject({ encoder: 'model.safetensors', encoder_sha256: sha, labels_per_class: 5, freeze: true });
      for (const p of encoder.params.list.filter((q) => q.name.startsWith('encoder.'))) {
        expect(Array.from(model.params.read(model.params.get(p.name)!))).toEqual(Array.from(encoder.params.read(p)));
      }
      const splits = await loadSplits({ data: tmp, preprocessing: model.preprocessing });
      const again = evaluateClassifier(model, splits.test);
      expect(again.accuracy).toBe(report['accuracy']);
      expect(again.confusion).toEqual(confusion);
    } finally {
      model.dispose();
      encoder.dispose();
    }
    // eval on it: no reconstruction metrics (its output is the classifier), the accuracy report.json states.
    const ev = await inProcess('eval', '--model', join(out, 'model.safetensors'), ...data, '--json');
    expect(ev.stderr).toBe('');
    const metrics = JSON.parse(ev.stdout) as Record<string, unknown>;
    expect(metrics).not.toHaveProperty('mse');
    expect(metrics).toMatchObject({ n: 80, accuracy: report['accuracy'], confusion });
  });

  it('the same flags give the same files; every labelled image with --labels-per-class all', async () => {
    const run = (dir: string) => inProcess('classify', '--encoder', ae, '--labels-per-class', 'all', '--epochs', '2', '--hidden', '8', ...data, '--out', join(tmp, dir), '--quiet');
    expect((await run('all-a')).code).toBe(0);
    expect((await run('all-b')).code).toBe(0);
    for (const f of ['model.safetensors', 'report.json']) {
      const a = (await readFile(join(tmp, 'all-a', f), 'utf8')).replace(/all-a/g, 'X');
      expect((await readFile(join(tmp, 'all-b', f), 'utf8')).replace(/all-b/g, 'X')).toBe(a);
    }
    expect(await json(join(tmp, 'all-a', 'report.json'))).toMatchObject({ labels_per_class: 'all', labelled: 400, hidden: 8, freeze: false });
  });

  it('--encoder none trains the same classifier from scratch: deep by default, --preset, --like MODEL', async () => {
    const def = await inProcess('classify', '--encoder', 'none', '--labels-per-class', '3', '--epochs', '2', ...data, '--out', join(tmp, 'none'));
    expect(def.code).toBe(0);
    expect(def.stdout).toMatch(/a fresh deep encoder \(encoder\), fine-tuned/);
    expect(await json(join(tmp, 'none', 'report.json'))).toMatchObject({ encoder: 'none', preset: 'deep', encoder_sha256: null });
    const like = await inProcess('classify', '--encoder', 'none', '--like', ae, '--labels-per-class', '3', '--epochs', '2', '--freeze', ...data, '--out', join(tmp, 'like'), '--quiet');
    expect(like.code).toBe(0);
    const report = await json(join(tmp, 'like', 'report.json'));
    expect(report).toMatchObject({ encoder: 'none', like: 'model.safetensors', freeze: true });
    expect(report['like_sha256']).toMatch(/^[0-9a-f]{64}$/);
    const preset = await inProcess('classify', '--encoder', 'none', '--preset', 'conv', '--labels-per-class', '2', '--epochs', '1', ...data, '--out', join(tmp, 'conv'), '--quiet');
    expect(preset.code).toBe(0);
    expect(await json(join(tmp, 'conv', 'report.json'))).toMatchObject({ preset: 'conv' });
  });

  it('a VAE: the head reads z_mean, and says so', async () => {
    const r = await inProcess('classify', '--encoder', vae, '--labels-per-class', '3', '--epochs', '2', ...data, '--out', join(tmp, 'vae-clf'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\(encoder, z_mean; a VAE: the head reads z_mean, the deterministic code\)/);
    expect(await json(join(tmp, 'vae-clf', 'report.json'))).toMatchObject({ code: 'z_mean', encoder_parts: ['encoder', 'z_mean'] });
  });

  it('refuses, with typed one-line errors, and leaves no OUT it created', async () => {
    const bad = join(tmp, 'bad.safetensors');
    await writeFile(bad, 'not a model at all');
    // A conditional VAE (its encoder reads the label) and a model of 4 features, written by the library.
    const kernels = await wasmKernels();
    const record = { loss: 'bce' as const, optimizer: { name: 'adam' }, noise: 0, l1: 0, beta: 1, seed: 0 };
    const cvae = join(tmp, 'cvae.safetensors');
    const table = join(tmp, 'table4.safetensors');
    for (const [file, arch] of [[cvae, conditionalVae(784)], [table, presetArchitecture('dense', { inputShape: [4] })]] as const) {
      const m = new Autoencoder(kernels, arch).initialize(0);
      await writeFile(file, encodeModel(m, record));
      m.dispose();
    }
    const cases: [string[], number, RegExp][] = [
      [['--encoder', bad, '--labels-per-class', '5'], 1, /--encoder .*bad\.safetensors is not an ae-wasm model file: /],
      [['--encoder', join(tmp, 'missing.safetensors'), '--labels-per-class', '5'], 1, /cannot read .*missing\.safetensors: no such file/],
      [['--encoder', ae, '--labels-per-class', '0'], 2, /--labels-per-class.*expected a positive integer or all, got "0"/],
      [['--encoder', ae, '--labels-per-class', 'some'], 2, /expected a positive integer or all, got "some"/],
      [['--encoder', ae, '--labels-per-class', '100'], 1, /100 labels per class: the training split has fewer for 10 classes \(class 0 has \d+, /],
      [['--encoder', ae, '--labels-per-class', '5', '--preset', 'dense'], 2, /--preset goes with --encoder none/],
      [['--encoder', ae, '--labels-per-class', '5', '--normalize', 'standard'], 2, /--normalize goes with --encoder none/],
      [['--encoder', 'none', '--preset', 'deep', '--like', ae, '--labels-per-class', '5'], 2, /cannot be used with option '--like/],
      [['--encoder', 'none', '--labels-per-class', '5', '--like', bad], 1, /--like .*bad\.safetensors is not an ae-wasm model file/],
      [['--encoder', cvae, '--labels-per-class', '5'], 2, /the model's code z_mean reads the label \(concat\(input,label\)\); a classifier cannot use an encoder that needs the class it predicts/],
      [['--encoder', 'none', '--like', table, '--labels-per-class', '5'], 1, /table4\.safetensors takes samples \[4\] but those of .* are \[28, 28, 1\]/],
    ];
    for (const [args, code, message] of cases) {
      const out = join(tmp, 'refused');
      const r = await inProcess('classify', ...args, ...data, '--out', out);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
      expect(await exists(out), args.join(' ')).toBe(false);
    }
  });

  it('refuses data without labels, and an OUT it cannot write, before any training', async () => {
    const csv = join(tmp, 'table.csv');
    await writeFile(csv, ['a,b,c', ...Array.from({ length: 40 }, (_, i) => `${i % 7},${(i * 3) % 5},${i % 2}`)].join('\n') + '\n');
    const none = await inProcess('classify', '--encoder', 'none', '--preset', 'dense', '--labels-per-class', '2', '--data', csv, '--out', join(tmp, 'csv'));
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/classify needs class labels, but .*table\.csv.* has none; give --label-column for a CSV/);
    expect(await exists(join(tmp, 'csv'))).toBe(false);
    const file = join(tmp, 'a-file');
    await writeFile(file, 'x');
    const r = await inProcess('classify', '--encoder', ae, '--labels-per-class', '2', ...data, '--out', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/a-file/);
    expect(await readFile(file, 'utf8')).toBe('x');
  });
});
