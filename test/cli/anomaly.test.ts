// ae-wasm anomaly and train --normal-labels end to end, in-process: a dense model trained on
// digits 0-4 tells 5-9 apart (AUC), its scores average to eval's MSE, a CSV table with an
// injected outlier class, and the errors a user can meet.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anomalyScores } from '../../src/cli/anomaly-scores.js';
import { loadBundledSplits } from '../../src/data/bundled.js';
import { subset } from '../../src/data/dataset.js';
import { FormatError } from '../../src/errors.js';
import { createKernels } from '../../src/kernels/node.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { loadModel } from '../../src/models/node.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { validateTrainingRecord } from '../../src/models/training-record.js';
import { evaluate } from '../../src/train/evaluate.js';
import { decodePng } from '../../src/viz/index.js';
import { inProcess } from './in-process.js';
import type { Run } from './run-cli.js';

const show = (r: Run): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

function ok(r: Run): Run {
  expect(r.code, show(r)).toBe(0);
  return r;
}

function csvRows(file: string): { header: string[]; rows: number[][] } {
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  return { header: lines[0]!.split(','), rows: lines.slice(1).map((l) => l.split(',').map(Number)) };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ae-anomaly-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('digits: dense trained on 0-4, scored on all ten', () => {
  let model: string;
  beforeAll(async () => {
    const out = join(dir, 'dense');
    const r = ok(await inProcess('train', '--preset', 'dense', '--epochs', '3', '--normal-labels', '0,1,2,3,4', '--deterministic', '--threads', '1', '--out', out, '--quiet'));
    expect(r.stderr).toBe('');
    model = join(out, 'model.safetensors');
  }, 300_000);

  it('records the normal classes and trained only on them', async () => {
    const m = await loadModel(model, { kernels: await createKernels({ backend: 'js' }) });
    expect(m.training?.['normal_labels']).toEqual(['0', '1', '2', '3', '4']);
    m.dispose();
  });

  it('tells 5-9 from 0-4 (AUC > 0.72, measured 0.777), writes scores.csv, roc.png and the two grids', async () => {
    const out = join(dir, 'dense-scores');
    const r = ok(await inProcess('anomaly', '--model', model, '--out', out, '--json', '--deterministic', '--threads', '1'));
    const report = JSON.parse(r.stdout) as Record<string, number | null | string[]>;
    expect(report['normal_labels']).toEqual(['0', '1', '2', '3', '4']);
    expect(report['roc_auc']).toBeGreaterThan(0.72);
    expect(report['n_test']).toBe(2000);
    // The threshold comes from the normal classes' training samples only (about half of 8,000).
    expect(report['n_threshold']).toBeGreaterThan(3500);
    expect(report['n_threshold']).toBeLessThan(4500);
    const { header, rows } = csvRows(join(out, 'scores.csv'));
    expect(header).toEqual(['index', 'label', 'score', 'flagged', 'anomalous']);
    expect(rows).toHaveLength(2000);
    const threshold = report['threshold'] as number;
    const test = (await loadBundledSplits()).test;
    rows.forEach(([index, label, score, flagged, anomalous], i) => {
      expect(index).toBe(i);
      expect(label).toBe(test.labels[i]);
      expect(flagged).toBe(score! > threshold ? 1 : 0);
      expect(anomalous).toBe(label! >= 5 ? 1 : 0);
    });
    expect(rows.filter((row) => row[3] === 1)).toHaveLength(report['flagged'] as number);
    expect(rows.filter((row) => row[4] === 1)).toHaveLength(report['anomalies'] as number);
    const tp = rows.filter((row) => row[3] === 1 && row[4] === 1).length;
    expect(report['precision']).toBeCloseTo(tp / (report['flagged'] as number), 12);
    for (const name of ['roc.png', 'most-anomalous.png', 'least-anomalous.png']) {
      const img = decodePng(new Uint8Array(readFileSync(join(out, name))), name);
      expect(img.width).toBeGreaterThan(300);
    }
  });

  it("averages to eval's MSE, and another percentile moves the threshold and the share flagged", async () => {
    const ev = JSON.parse(ok(await inProcess('eval', '--model', model, '--json', '--deterministic', '--threads', '1')).stdout) as { mse: number };
    const r99 = JSON.parse(ok(await inProcess('anomaly', '--model', model, '--json', '--deterministic', '--threads', '1')).stdout) as Record<string, number>;
    expect(r99['mean_score']).toBeCloseTo(ev.mse, 6);
    const r50 = JSON.parse(ok(await inProcess('anomaly', '--model', model, '--json', '--threshold-percentile', '50', '--deterministic', '--threads', '1')).stdout) as Record<string, number>;
    expect(r50['threshold']).toBeLessThan(r99['threshold']!);
    expect(r50['flagged']).toBeGreaterThan(r99['flagged']!);
    expect(r50['recall']).toBeGreaterThan(r99['recall']!);
    expect(r50['roc_auc']).toBe(r99['roc_auc']);
    // --normal-labels overrides the record: calling 5-9 normal reverses the ranking.
    const flipped = JSON.parse(ok(await inProcess('anomaly', '--model', model, '--json', '--normal-labels', '5,6,7,8,9', '--deterministic', '--threads', '1')).stdout) as Record<string, number>;
    expect(flipped['roc_auc']).toBeCloseTo(1 - r99['roc_auc']!, 12);
  });

  it('refuses an unknown label (listing the known ones), every class normal, a percentile outside (0, 100] and --score nelbo on a plain model', async () => {
    const unknown = await inProcess('anomaly', '--model', model, '--normal-labels', '0,12');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--normal-labels: unknown label "12"; .* has labels 0, 1, 2, 3, 4, 5, 6, 7, 8, 9/);
    const all = await inProcess('anomaly', '--model', model, '--normal-labels', '0,1,2,3,4,5,6,7,8,9');
    expect(all.stderr).toMatch(/names every class/);
    for (const p of ['0', '100.5', '-3', 'x']) {
      const r = await inProcess('anomaly', '--model', model, '--threshold-percentile', p);
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr).toMatch(/expected a percentile in \(0, 100\]/);
    }
    const nelbo = await inProcess('anomaly', '--model', model, '--score', 'nelbo');
    expect(nelbo.code).toBe(2);
    expect(nelbo.stderr).toMatch(/--score nelbo needs a variational autoencoder/);
    const trainUnknown = await inProcess('train', '--epochs', '1', '--normal-labels', 'seven', '--out', join(dir, 'never'), '--quiet');
    expect(trainUnknown.code).toBe(2);
    expect(trainUnknown.stderr).toMatch(/unknown label "seven"/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});

describe('the VAE negative ELBO score', () => {
  it("averages to evaluate's nelbo (same eps draws) and is the per-sample MSE's sibling", async () => {
    const kernels = await createKernels({ backend: 'js' });
    const test = subset((await loadBundledSplits()).test, 0, 300);
    const m = new Autoencoder(kernels, presetArchitecture('vae', { latent: 2 })).initialize(3);
    const ev = evaluate(m, test);
    const nelbo = anomalyScores(m, test, 'nelbo');
    const mse = anomalyScores(m, test, 'mse');
    const mean = (v: Float32Array) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(nelbo)).toBeCloseTo(ev.nelbo!, 2);
    expect(mean(mse)).toBeCloseTo(ev.mse, 7);
    // Summed BCE over 784 pixels plus KL: far above the per-pixel MSE, all finite and positive.
    expect(nelbo.every((v) => Number.isFinite(v) && v > 100)).toBe(true);
    m.dispose();
  });
});

describe('a CSV table with an outlier class', () => {
  /** Normal rows near the line y = 2x, z = -x (class "ok"); every tenth row (class "bad") off it. */
  async function table(file: string): Promise<void> {
    let s = 0x1234;
    const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const lines = ['x,y,z,cls'];
    for (let i = 0; i < 300; i++) {
      const x = rand() * 2;
      const outlier = i % 10 === 0;
      const y = outlier ? rand() * 4 : 2 * x + 0.05 * rand();
      const z = outlier ? rand() * 2 : -x + 0.05 * rand();
      lines.push(`${x},${y},${z},${outlier ? 'bad' : 'ok'}`);
    }
    await writeFile(file, lines.join('\n') + '\n');
  }

  it('trains on "ok" only and ranks "bad" first; no pictures; unlabelled data refuses --normal-labels', async () => {
    const csv = join(dir, 'table.csv');
    await table(csv);
    const out = join(dir, 'table');
    ok(await inProcess('train', '--data', csv, '--label-column', 'cls', '--normal-labels', 'ok', '--preset', 'linear', '--latent', '1', '--epochs', '100', '--lr', '0.01', '--deterministic', '--threads', '1', '--out', out, '--quiet'));
    const scores = join(dir, 'table-scores');
    const report = JSON.parse(ok(await inProcess('anomaly', '--model', join(out, 'model.safetensors'), '--data', csv, '--out', scores, '--json')).stdout) as Record<string, number>;
    expect(report['roc_auc']).toBeGreaterThan(0.95);
    expect(report['f1']).toBeGreaterThan(0.8);
    expect(report['n_test']).toBe(60);
    expect(existsSync(join(scores, 'scores.csv'))).toBe(true);
    expect(existsSync(join(scores, 'roc.png'))).toBe(true);
    expect(existsSync(join(scores, 'most-anomalous.png'))).toBe(false);
    const unknown = await inProcess('anomaly', '--model', join(out, 'model.safetensors'), '--data', csv, '--normal-labels', 'fine');
    expect(unknown.stderr).toMatch(/unknown label "fine"; .* has labels bad, ok/);
    // The same table without its label column: nothing says which rows are anomalies.
    const bare = join(dir, 'bare.csv');
    await writeFile(bare, readFileSync(csv, 'utf8').split('\n').map((l) => l.split(',').slice(0, 3).join(',')).join('\n'));
    const r = await inProcess('train', '--data', bare, '--normal-labels', 'ok', '--epochs', '1', '--out', join(dir, 'bare'), '--quiet');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--normal-labels needs class labels, but .*bare\.csv.* has none; give --label-column/);
  }, 120_000);
});

describe('train --normal-labels with --resume', () => {
  it('a resumed run keeps training on the recorded classes: bit-identical to an uninterrupted one; the flag itself is fixed', async () => {
    const csv = join(dir, 'resume.csv');
    const lines = ['a,b,c,kind'];
    for (let i = 0; i < 120; i++) lines.push(`${Math.sin(i)},${Math.cos(i * 1.3)},${(i % 7) / 7},${i % 3 === 0 ? 'odd' : 'even'}`);
    await writeFile(csv, lines.join('\n') + '\n');
    const common = ['--data', csv, '--label-column', 'kind', '--preset', 'dense', '--latent', '2', '--deterministic', '--threads', '1', '--quiet'];
    ok(await inProcess('train', ...common, '--normal-labels', 'even', '--epochs', '3', '--out', join(dir, 'whole')));
    ok(await inProcess('train', ...common, '--normal-labels', 'even', '--epochs', '1', '--checkpoint-every', '1', '--out', join(dir, 'part')));
    const resumeFlags = ['--resume', join(dir, 'part', 'checkpoint.safetensors'), '--data', csv, '--label-column', 'kind', '--deterministic', '--threads', '1', '--quiet'];
    const fixed = await inProcess('train', ...resumeFlags, '--epochs', '3', '--normal-labels', 'odd');
    expect(fixed.code).toBe(2);
    expect(fixed.stderr).toMatch(/--normal-labels cannot be changed with --resume/);
    ok(await inProcess('train', ...resumeFlags, '--epochs', '3'));
    const kernels = await createKernels({ backend: 'js' });
    const [a, b] = await Promise.all([join(dir, 'whole'), join(dir, 'part')].map((d) => loadModel(join(d, 'model.safetensors'), { kernels })));
    expect(b!.training?.['normal_labels']).toEqual(['even']);
    const x = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i * 0.7) * 2);
    expect(Array.from(b!.reconstruct(x))).toEqual(Array.from(a!.reconstruct(x)));
    // And differs from a run on every class: the filter mattered.
    ok(await inProcess('train', ...common, '--epochs', '3', '--out', join(dir, 'every')));
    const c = await loadModel(join(dir, 'every', 'model.safetensors'), { kernels });
    expect(Array.from(c.reconstruct(x))).not.toEqual(Array.from(a!.reconstruct(x)));
  }, 120_000);
});

describe('normal_labels in the training record', () => {
  const base = { loss: 'mse', optimizer: { name: 'adam', learning_rate: 0.001 }, noise: 0, l1: 0, beta: 1, seed: 0 };
  it('takes a list of 1 to 64 label names and refuses anything else', () => {
    expect(validateTrainingRecord({ ...base, normal_labels: ['0', 'cat'] }, 'm')).toMatchObject({ normal_labels: ['0', 'cat'] });
    for (const bad of [[], '0,1', [0, 1], [''], Array.from({ length: 65 }, (_, i) => String(i)), { 0: 'a' }]) {
      expect(() => validateTrainingRecord({ ...base, normal_labels: bad }, 'm')).toThrow(FormatError);
    }
    expect(() => validateTrainingRecord({ ...base, normal_labels: [1] }, 'm')).toThrow(/m: training record normal_labels must be a list of 1 to 64 label names/);
  });
});
