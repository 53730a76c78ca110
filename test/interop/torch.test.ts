// python/ae_wasm_torch.py against ae-wasm, when PyTorch imports (skipped otherwise, with the
// reason printed: npm test never needs Python). One Python process runs every case from a
// job file this test writes:
//   forward: every export fixture (every preset, odd shapes, every layer class and
//            activation) reconstructs the same random batch in PyTorch (eval mode, NCHW) as
//            `reconstruct` does (NHWC): max abs difference <= 1e-5 (relative where a value
//            exceeds 1: the exponential fixture reaches 1e30).
//   step:    one plain SGD step (learning rate 0.5, or 20 for 28x28 MSE; batch 8) in
//            PyTorch from the same weights and batch, with `loss_fn(record)`, saved with
//            `save` and loaded by decodeModel, gives our updated weights (BatchNormalization's
//            moving statistics too) within 1e-5; the step moves some weight by over 100
//            times that. A VAE step feeds our eps (read back as (z - mu) / exp(lv / 2)).
//   save:    `save` right after `load` writes back every tensor bit for bit, the records
//            (less a checkpoint's resume state) and the preprocessing, and decodeModel loads it.
//   also:    refusals naming what, normalize / denormalize against ours, the noise layers
//            in training mode, and the README's snippet as printed.
// Set AE_WASM_KEEP=1 to keep the job directory for a look at a failure.
// Python: $AE_WASM_PYTHON, else the first of python3, /usr/bin/python3 that imports torch.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import type { Architecture } from '../../src/models/architecture.js';
import type { Autoencoder } from '../../src/models/autoencoder.js';
import { decodeModel, encodeModel, type TrainingRecord } from '../../src/models/model-file.js';
import { presetArchitecture } from '../../src/models/presets.js';
import type { LossKind } from '../../src/nn/losses.js';
import { RandomStream } from '../../src/random/streams.js';
import { SGD } from '../../src/train/optimizers.js';
import { planStep, releaseStep, trainStep } from '../../src/train/step.js';
import { maxAbsDiff, uniform, wasmKernels } from '../helpers.js';
import { CASES, randomModel } from './export-fixtures.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MODULE_DIR = join(ROOT, 'python');
const TOL = 1e-5;
// No python/__pycache__ in the checkout from a test run.
const PY_ENV = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
const LR = 0.5;
const N = 8;

function findPython(): { python: string | null; reason: string } {
  const candidates = process.env['AE_WASM_PYTHON'] ? [process.env['AE_WASM_PYTHON']] : ['python3', '/usr/bin/python3'];
  const tried: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
    if (r.status === 0) return { python, reason: `${python}: torch ${r.stdout.trim()}` };
    tried.push(`${python}: ${(r.stderr || String(r.error ?? '')).trim().split('\n').pop()}`);
  }
  return { python: null, reason: tried.join('; ') };
}

const { python: PYTHON, reason } = findPython();
if (!PYTHON) console.log(`torch.test: skipped, PyTorch does not import (${reason})`);
else console.log(`torch.test: ${reason}`);

// The driver: for each job, load; reconstruct in eval mode; save right away (round trip);
// then optionally one SGD step in training mode with loss_fn (eps given for a VAE) and save.
const DRIVER = String.raw`
import json, sys
import numpy as np
import torch
sys.path.insert(0, sys.argv[2])
import ae_wasm_torch as aw

torch.set_num_threads(1)
jobs = json.load(open(sys.argv[1]))
for job in jobs:
    if job.get("error"):
        try:
            aw.load(job["model"])
            msg = "no error"
        except (NotImplementedError, ValueError) as e:
            msg = type(e).__name__ + ": " + str(e)
        open(job["error"], "w").write(msg)
        continue
    model, record = aw.load(job["model"])
    if job.get("poison"):
        # A diverged weight: save must refuse it before writing anything.
        with torch.no_grad():
            model.decoder[0][0].weight.view(-1)[3] = float("nan")
        try:
            aw.save(model, record, job["poison"] + ".safetensors")
            msg = "no error"
        except ValueError as e:
            msg = "ValueError: " + str(e)
        open(job["poison"], "w").write(msg)
        continue
    if job.get("noisy"):
        # Each encoder layer alone on the same input, in training mode (NHWC out).
        x = torch.from_numpy(np.fromfile(job["input"], dtype="<f4").reshape([job["n"]] + job["shape"])).permute(0, 3, 1, 2)
        model.train()
        torch.manual_seed(1)
        outs = [m(x).permute(0, 2, 3, 1).contiguous().numpy() for m in model.encoder]
        np.stack(outs).astype("<f4").tofile(job["noisy"])
        continue
    if job.get("normalized"):
        data = torch.from_numpy(np.fromfile(job["input"], dtype="<f4").reshape([job["n"]] + job["shape"])).permute(0, 3, 1, 2)
        z = aw.normalize(data, record)
        z.permute(0, 2, 3, 1).contiguous().numpy().astype("<f4").tofile(job["normalized"])
        aw.denormalize(z, record).permute(0, 2, 3, 1).contiguous().numpy().astype("<f4").tofile(job["denormalized"])
        continue
    shape = job["shape"]
    x = torch.from_numpy(np.fromfile(job["input"], dtype="<f4").reshape([job["n"]] + shape))
    if len(shape) == 3:
        x = x.permute(0, 3, 1, 2)
    with torch.no_grad():
        y = model(x)
    if y.dim() == 4:
        y = y.permute(0, 2, 3, 1)
    y.contiguous().numpy().astype("<f4").tofile(job["recon"])
    aw.save(model, record, job["roundtrip"])
    if job.get("stepped"):
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=job["lr"])
        opt.zero_grad()
        if job.get("eps"):
            eps = torch.from_numpy(np.fromfile(job["eps"], dtype="<f4").reshape(job["n"], -1))
            fn = aw.loss_fn(record)
            real = model.forward_vae
            model.forward_vae = lambda inp, eps_=None: real(inp, eps)
            loss = fn(model, x)
        else:
            loss = aw.loss_fn(record)(model, x)
        loss.backward()
        opt.step()
        aw.save(model, record, job["stepped"])
print("ok", len(jobs))
`;

function trainingRecord(loss: LossKind, lr = LR, l1 = 0, beta = 1): TrainingRecord {
  return { loss, optimizer: { name: 'sgd', learning_rate: lr }, noise: 0, l1, beta, seed: 3 };
}

function batchOf(shape: readonly number[], seed: number): Dataset {
  const size = shape.reduce((a, b) => a * b, 1);
  // In (0.05, 0.95): BCE targets away from 0 and 1 keep Keras' clipping out of play.
  return { images: Float32Array.from(uniform(N * size, seed, 0.05, 0.95)), labels: new Uint8Array(N), n: N, shape: [...shape] };
}

const NOISY_SHAPE = [6, 6, 3];
const L = (class_name: string, config: Record<string, unknown> = {}) => ({ class_name, config });

/** The architecture with every Dropout's rate 0: the two runtimes draw different masks. */
function withoutDropout(arch: Architecture): Architecture {
  const parts = Object.fromEntries(
    Object.entries(arch.parts).map(([name, layers]) => [name, layers!.map((l) => (l.class_name === 'Dropout' ? { ...l, config: { ...l.config, rate: 0 } } : l))]),
  );
  return { ...arch, parts: parts as Architecture['parts'] };
}

// MSE means over every pixel, so a 28x28 model's step at 0.5 moves its weights by ~1e-4:
// those cases step at 20, so every step moves some weight by over 100 times the bound.
interface StepCase {
  name: string;
  arch: Architecture;
  loss: LossKind;
  lr?: number;
  l1?: number;
  beta?: number;
}

const STEP_CASES: StepCase[] = [
  { name: 'dense, MSE', arch: presetArchitecture('dense'), loss: 'mse', lr: 20 },
  { name: 'dense 6x6x1, BCE', arch: presetArchitecture('dense', { inputShape: [6, 6, 1], latent: 5 }), loss: 'bce' },
  { name: 'deep, MSE', arch: presetArchitecture('deep'), loss: 'mse', lr: 20 },
  { name: 'deep-bn (moving statistics too; its Dropout rate 0: no shared masks), MSE', arch: withoutDropout(presetArchitecture('deep-bn')), loss: 'mse', lr: 20 },
  { name: 'conv, MSE', arch: presetArchitecture('conv'), loss: 'mse', lr: 20 },
  { name: 'conv 12x20x3, BCE', arch: presetArchitecture('conv', { inputShape: [12, 20, 3] }), loss: 'bce' },
  { name: 'deep-conv, MSE', arch: presetArchitecture('deep-conv'), loss: 'mse', lr: 20 },
  { name: 'vae 12x20x1 (BCE summed + KL, our eps)', arch: presetArchitecture('vae', { inputShape: [12, 20, 1], latent: 3 }), loss: 'bce' },
  { name: 'vae 12x20x1, MSE summed + 0.25 KL + l1 0.05 on z_mean', arch: presetArchitecture('vae', { inputShape: [12, 20, 1], latent: 3 }), loss: 'mse', beta: 0.25, l1: 0.05 },
  { name: 'deep 6x6x1, BCE + l1 0.1 on the code', arch: presetArchitecture('deep', { inputShape: [6, 6, 1], latent: 4 }), loss: 'bce', l1: 0.1 },
  {
    // Odd shapes: stride-2 'same' even kernels, k < s transposed convs, BatchNormalization on an image.
    name: '9x6x2: Conv2D s3, Conv2DTranspose k<s / valid / same, BN on channels, MSE',
    arch: {
      kind: 'autoencoder',
      input_shape: [9, 6, 2],
      parts: {
        encoder: [
          L('Conv2D', { filters: 3, kernel_size: 4, strides: 2, padding: 'same', activation: 'elu' }),
          L('BatchNormalization', { momentum: 0.9, epsilon: 0.01 }),
          L('MaxPooling2D', { pool_size: 2, strides: 1, padding: 'same' }),
          L('Dense', { units: 4, activation: 'tanh' }),
        ],
        decoder: [
          L('Conv2DTranspose', { filters: 3, kernel_size: 1, strides: 3, padding: 'same', activation: 'softplus' }),
          L('Conv2DTranspose', { filters: 2, kernel_size: 2, strides: [1, 2], padding: 'valid', activation: 'linear' }),
          L('UpSampling2D', { size: [1, 2] }),
          L('Flatten'),
          L('Dense', { units: 108, activation: 'sigmoid' }),
          L('Reshape', { target_shape: [9, 6, 2] }),
        ],
      },
    },
    loss: 'mse',
  },
];

interface Job {
  name: string;
  model: string;
  input: string;
  shape: number[];
  n: number;
  recon: string;
  roundtrip: string;
  stepped?: string;
  eps?: string;
  error?: string;
  normalized?: string;
  noisy?: string;
  poison?: string;
  denormalized?: string;
  lr?: number;
}

interface Prepared {
  job: Job;
  model: Autoencoder;
  bytes: Uint8Array;
  images: Float32Array;
  ours: Float32Array;
  /** Step cases: our weights before and after the step, by name. */
  before?: Map<string, Float32Array>;
  after?: Map<string, Float32Array>;
}

/** max |a - b| / max(1, |b|): absolute for values up to 1, relative above (exp of exp reaches 1e30). */
function scaledDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

function paramsOf(model: Autoencoder): Map<string, Float32Array> {
  return new Map(model.params.list.map((p) => [p.name, model.params.read(p).slice()]));
}

describe.skipIf(!PYTHON)('PyTorch (python/ae_wasm_torch.py) continues ae-wasm models exactly', () => {
  let kernels: Kernels;
  let dir: string;
  const forward: Prepared[] = [];
  const steps: Prepared[] = [];
  const maxima = { forward: 0, step: 0, moved: Infinity };
  const extra: Job[] = [];
  let normalizing: { model: Autoencoder; data: Float32Array } | null = null;

  function job(tag: string, bytes: Uint8Array, fields: Partial<Job> = {}): Job {
    const model = join(dir, `${tag}.safetensors`);
    writeFileSync(model, bytes);
    return { name: tag, model, input: '', shape: [], n: N, recon: '', roundtrip: '', ...fields };
  }

  /** A graph of parts (cvae), a layer class we do not have, a transposed kernel, a missing bias: load refuses each; save a NaN. */
  function errorJobs(): Job[] {
    const cvae = randomModel(kernels, presetArchitecture('cvae', { inputShape: [4, 4, 1], latent: 2, labels: 3 }), 1);
    const graphBytes = encodeModel(cvae, trainingRecord('bce'));
    cvae.dispose();
    const dense = randomModel(kernels, presetArchitecture('dense', { inputShape: [4], latent: 2 }), 2);
    const denseBytes = encodeModel(dense, trainingRecord('mse'));
    dense.dispose();
    const { tensors, metadata } = decodeSafetensors(denseBytes, 'dense');
    const arch = JSON.parse(metadata['architecture']!) as Architecture;
    arch.parts.decoder.push({ class_name: 'Conv3D', config: { filters: 1 } });
    const entries = [...tensors].map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape, data: t.data as Float32Array }));
    const strange = encodeSafetensors(entries, { ...metadata, architecture: JSON.stringify(arch) });
    const wrongShape = encodeSafetensors(
      entries.map((t) => (t.name === 'decoder.0.kernel' ? { ...t, shape: [t.shape[1]!, t.shape[0]!] } : t)),
      metadata,
    );
    const missing = encodeSafetensors(entries.filter((t) => t.name !== 'encoder.1.bias'), metadata);
    return [
      job('err-graph', graphBytes, { error: join(dir, 'err-graph.txt') }),
      job('err-conv3d', strange, { error: join(dir, 'err-conv3d.txt') }),
      job('err-shape', wrongShape, { error: join(dir, 'err-shape.txt') }),
      job('err-missing', missing, { error: join(dir, 'err-missing.txt') }),
      job('err-nan', denseBytes, { poison: join(dir, 'err-nan.txt') }),
    ];
  }

  /** SpatialDropout2D, Dropout and GaussianNoise, each run alone in training mode on NOISY_SHAPE inputs of 1. */
  function noisyJob(): Job {
    const arch: Architecture = {
      kind: 'autoencoder',
      input_shape: NOISY_SHAPE,
      parts: {
        encoder: [L('SpatialDropout2D', { rate: 0.5 }), L('Dropout', { rate: 0.25 }), L('GaussianNoise', { stddev: 0.3 })],
        decoder: [L('Activation', { activation: 'linear' })],
      },
    };
    const model = randomModel(kernels, arch, 3);
    const bytes = encodeModel(model, trainingRecord('mse'));
    model.dispose();
    const input = join(dir, 'noisy.in.f32');
    writeFileSync(input, new Uint8Array(new Float32Array(N * 108).fill(1).buffer));
    return job('noisy', bytes, { input, shape: NOISY_SHAPE, noisy: join(dir, 'noisy.out.f32') });
  }

  /** A model with per-feature 'standard' preprocessing: normalize / denormalize against ours. */
  function normalizeJob(): Job {
    const shape = [3, 5, 2];
    const model = randomModel(kernels, presetArchitecture('dense', { inputShape: shape, latent: 3 }), 4);
    model.preprocessing = {
      kind: 'standard',
      sampleShape: shape,
      mean: Float32Array.from(uniform(30, 41, -5, 5)),
      std: Float32Array.from(uniform(30, 42, 0.5, 3)),
    };
    const data = Float32Array.from(uniform(N * 30, 43, -10, 10));
    normalizing = { model, data };
    const input = join(dir, 'norm.in.f32');
    writeFileSync(input, new Uint8Array(data.buffer));
    return job('norm', encodeModel(model, trainingRecord('mse')), { input, shape, normalized: join(dir, 'norm.z.f32'), denormalized: join(dir, 'norm.x.f32') });
  }

  function prepare(name: string, arch: Architecture, seed: number, loss: LossKind, step: boolean, o: Pick<StepCase, 'lr' | 'l1' | 'beta'> = {}): Prepared {
    const { lr = LR, l1 = 0, beta = 1 } = o;
    const tag = `${step ? 'step' : 'fwd'}${forward.length + steps.length}`;
    const model = randomModel(kernels, arch, seed);
    const data = batchOf(arch.input_shape, seed + 7);
    if (seed % 3 === 0) {
      // Some files carry preprocessing: `save` must keep it (the module works in model units).
      model.preprocessing = { kind: 'scale', scale: 255, sampleShape: [...arch.input_shape] };
    }
    const training = trainingRecord(loss, lr, l1, beta);
    // Some are checkpoints: `save` drops the resume state with the optimizer state.
    if (seed % 4 === 1) training.checkpoint = { epoch: 2, step: 9, rng: { shuffle: { key: 1, counter: 5 }, noise: { key: 2, counter: 7 } } };
    const bytes = encodeModel(model, training);
    const job: Job = {
      name,
      model: join(dir, `${tag}.safetensors`),
      input: join(dir, `${tag}.in.f32`),
      shape: [...arch.input_shape],
      n: N,
      recon: join(dir, `${tag}.recon.f32`),
      roundtrip: join(dir, `${tag}.roundtrip.safetensors`),
    };
    writeFileSync(job.model, bytes);
    writeFileSync(job.input, new Uint8Array(data.images.buffer));
    const p: Prepared = { job, model, bytes, images: data.images, ours: model.reconstruct(data.images) };
    if (step) {
      job.stepped = join(dir, `${tag}.stepped.safetensors`);
      job.lr = lr;
      p.before = paramsOf(model);
      const plan = planStep(model, data, { batch: N, loss, l1, beta, noise: 0, optimizer: new SGD({ learningRate: lr }), noiseStream: new RandomStream(99) });
      try {
        expect(Number.isFinite(trainStep(plan, Uint32Array.from({ length: N }, (_, i) => i), 0, N))).toBe(true);
        if (arch.kind === 'vae') {
          const read = (name: string) => kernels.heap.read(plan.graph.valueOf(name).offset, N * 3);
          const [mu, lv, z] = [read('z_mean'), read('z_log_var'), read('sample(z_mean,z_log_var)')];
          const eps = Float32Array.from(z, (v, i) => (v - mu[i]!) / Math.exp(lv[i]! / 2));
          job.eps = join(dir, `${tag}.eps.f32`);
          writeFileSync(job.eps, new Uint8Array(eps.buffer));
        }
      } finally {
        releaseStep(plan);
      }
      p.after = paramsOf(model);
    }
    (step ? steps : forward).push(p);
    return p;
  }

  beforeAll(async () => {
    kernels = await wasmKernels();
    dir = mkdtempSync(join(tmpdir(), 'ae-torch-'));
    CASES.forEach((c, i) => prepare(c.name, c.arch, 20 + i, 'mse', false));
    STEP_CASES.forEach((c, i) => prepare(c.name, c.arch, 60 + i, c.loss, true, c));
    extra.push(...errorJobs(), normalizeJob(), noisyJob());
    const jobsFile = join(dir, 'jobs.json');
    writeFileSync(jobsFile, JSON.stringify([...forward, ...steps].map((p) => p.job).concat(extra)));
    const r = spawnSync(PYTHON!, ['-c', DRIVER, jobsFile, MODULE_DIR], { env: PY_ENV, encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`the PyTorch driver failed (status ${r.status}): ${r.stderr}`);
  }, 600_000);

  afterAll(() => {
    console.log(
      `torch.test: max difference forward ${maxima.forward.toExponential(2)} (relative above 1), after one SGD step ${maxima.step.toExponential(2)}` +
        ` (bound ${TOL}); smallest largest-change of a step ${maxima.moved.toExponential(2)}`,
    );
    for (const p of [...forward, ...steps]) p.model.dispose();
    normalizing?.model.dispose();
    if (dir && !process.env["AE_WASM_KEEP"]) rmSync(dir, { recursive: true, force: true });
  });

  it('reconstructs every export fixture as ae-wasm does (eval mode)', () => {
    for (const p of forward.concat(steps)) {
      const raw = readFileSync(p.job.recon);
      const theirs = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      expect(theirs.length, p.job.name).toBe(p.ours.length);
      const d = scaledDiff(theirs, p.ours);
      expect(d, `${p.job.name}: max difference of the reconstruction (relative above 1)`).toBeLessThanOrEqual(TOL);
      maxima.forward = Math.max(maxima.forward, d);
    }
  });

  it('save right after load writes every tensor bit for bit and the records unchanged (a checkpoint without its resume state)', () => {
    let checkpoints = 0;
    for (const p of forward.concat(steps)) {
      const a = decodeSafetensors(p.bytes, 'ours');
      const b = decodeSafetensors(readFileSync(p.job.roundtrip), p.job.roundtrip);
      expect([...b.tensors.keys()].sort(), p.job.name).toEqual([...a.tensors.keys()].sort());
      for (const [name, t] of a.tensors) {
        const u = b.tensors.get(name)!;
        expect(u.shape, `${p.job.name}: ${name}`).toEqual(t.shape);
        expect(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), `${p.job.name}: ${name} bits`).toBe(true);
      }
      expect(JSON.parse(b.metadata['architecture']!), p.job.name).toEqual(JSON.parse(a.metadata['architecture']!));
      const { checkpoint, ...plain } = JSON.parse(a.metadata['training']!) as TrainingRecord;
      if (checkpoint) checkpoints++;
      expect(JSON.parse(b.metadata['training']!), `${p.job.name}: training record without its checkpoint`).toEqual(plain);
      expect(b.metadata['preprocessing'], p.job.name).toEqual(a.metadata['preprocessing']);
      const back = decodeModel(readFileSync(p.job.roundtrip), kernels, p.job.roundtrip).model;
      try {
        expect(maxAbsDiff(back.reconstruct(p.images), p.ours), `${p.job.name}: reloaded reconstruct`).toBe(0);
        expect(back.preprocessing?.kind, p.job.name).toBe(p.model.preprocessing?.kind);
      } finally {
        back.dispose();
      }
    }
    expect(checkpoints, 'checkpoint files among the cases').toBeGreaterThan(0);
  });

  it('one SGD step in PyTorch gives our updated weights (decodeModel reads its file)', () => {
    for (const p of steps) {
      const stepped = decodeModel(readFileSync(p.job.stepped!), kernels, p.job.stepped).model;
      try {
        const theirs = paramsOf(stepped);
        let moved = 0;
        for (const [name, mine] of p.after!) {
          const d = maxAbsDiff(theirs.get(name)!, mine);
          expect(d, `${p.job.name}: ${name} after one step`).toBeLessThanOrEqual(TOL);
          maxima.step = Math.max(maxima.step, d);
          moved = Math.max(moved, maxAbsDiff(p.before!.get(name)!, mine));
        }
        expect(moved, `${p.job.name}: largest change of a weight in the step`).toBeGreaterThan(100 * TOL);
        maxima.moved = Math.min(maxima.moved, moved);
      } finally {
        stepped.dispose();
      }
    }
  });
  it('refuses a graph of parts, an unknown layer class, a wrong shape, a missing tensor and saving a NaN, naming them', () => {
    expect(readFileSync(join(dir, 'err-graph.txt'), 'utf8')).toMatch(/^NotImplementedError: a model with a graph of parts/);
    expect(readFileSync(join(dir, 'err-conv3d.txt'), 'utf8')).toBe("NotImplementedError: decoder.2 (Conv3D): layer class 'Conv3D' has no PyTorch mapping in ae_wasm_torch");
    expect(readFileSync(join(dir, 'err-shape.txt'), 'utf8')).toBe("ValueError: model file: tensor 'decoder.0.kernel' has shape [4, 2], the architecture needs [2, 4]");
    expect(readFileSync(join(dir, 'err-missing.txt'), 'utf8')).toBe("ValueError: model file: missing tensor 'encoder.1.bias' [2]");
    // PyTorch's [4, 2] weight at flat index 3 is (1, 1): index 5 of our [2, 4] kernel.
    expect(readFileSync(join(dir, 'err-nan.txt'), 'utf8')).toBe("ValueError: save: tensor 'decoder.0.kernel' holds a non-finite value at index 5");
    expect(existsSync(join(dir, 'err-nan.txt.safetensors')), 'no file written').toBe(false);
  });

  it('normalize / denormalize apply and undo the file\'s preprocessing as ae-wasm does (NCHW)', () => {
    const read = (path: string) => {
      const raw = readFileSync(path);
      return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    };
    const { model, data } = normalizing!;
    const z = read(join(dir, 'norm.z.f32'));
    expect(maxAbsDiff(z, model.normalize(data)), 'normalize: the same float32 values').toBe(0);
    expect(maxAbsDiff(read(join(dir, 'norm.x.f32')), model.denormalize(z)), 'denormalize: the same float32 values').toBe(0);
    expect(maxAbsDiff(read(join(dir, 'norm.x.f32')), data), 'denormalize(normalize(x)) = x up to float32 rounding').toBeLessThanOrEqual(1e-5);
  });
  it("runs the README's snippet on a conv model: trains, saves, and ae-wasm loads the result", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Continuing training in PyTorch'));
    const snippet = /```python\n([\s\S]*?)```/.exec(section)![1]!;
    const arch = presetArchitecture('conv', { inputShape: [8, 8, 1] });
    const model = randomModel(kernels, arch, 9);
    try {
      model.preprocessing = { kind: 'scale', scale: 255, sampleShape: [8, 8, 1] };
      const src = join(dir, 'readme.safetensors');
      const out = join(dir, 'readme-torch.safetensors');
      writeFileSync(src, encodeModel(model, trainingRecord('bce')));
      // images_nchw: 100 random 8x8 images in data units (0..255), as the snippet expects.
      const code = snippet
        .replace('"node_modules/ae-wasm/python"', JSON.stringify(MODULE_DIR))
        .replace('"runs/conv/model.safetensors"', JSON.stringify(src))
        .replace('"runs/conv/model-torch.safetensors"', JSON.stringify(out))
        .replace('import ae_wasm_torch as aw\n', 'import ae_wasm_torch as aw\ntorch.manual_seed(0)\nimages_nchw = torch.randint(0, 256, (100, 1, 8, 8)).float()\n');
      expect(code).not.toContain('runs/conv');
      const r = spawnSync(PYTHON!, ['-c', code], { env: PY_ENV, encoding: 'utf8', timeout: 300_000 });
      expect(r.status, r.stderr).toBe(0);
      const back = decodeModel(readFileSync(out), kernels, out).model;
      try {
        expect(back.preprocessing?.kind).toBe('scale');
        const before = paramsOf(model);
        let moved = 0;
        for (const [name, w] of paramsOf(back)) moved = Math.max(moved, maxAbsDiff(w, before.get(name)!));
        expect(moved, 'the snippet trained: largest change of a weight').toBeGreaterThan(1e-4);
        const x = Float32Array.from(uniform(2 * 64, 5, 0, 1));
        expect(back.reconstruct(x).every(Number.isFinite)).toBe(true);
      } finally {
        back.dispose();
      }
    } finally {
      model.dispose();
    }
  }, 600_000);

  it('training mode: SpatialDropout2D drops whole channels, Dropout single units (kept ones scaled), GaussianNoise adds its stddev', () => {
    const raw = readFileSync(join(dir, 'noisy.out.f32'));
    const out = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const per = N * 108;
    const layer = (k: number) => out.subarray(k * per, (k + 1) * per);
    const [spatial, dropout, noise] = [layer(0), layer(1), layer(2)];
    // Every (sample, channel) of the spatial output is all 0 or all 2 = 1 / (1 - 0.5); both occur.
    const seen = new Set<number>();
    for (let s = 0; s < N; s++) {
      for (let c = 0; c < 3; c++) {
        const values = new Set<number>();
        for (let p = 0; p < 36; p++) values.add(spatial[s * 108 + p * 3 + c]!);
        expect([...values].length, `sample ${s} channel ${c}: one value`).toBe(1);
        seen.add([...values][0]!);
      }
    }
    expect([...seen].sort()).toEqual([0, 2]);
    // Dropout: each unit 0 or 1 / (1 - 0.25), about a quarter dropped.
    expect(new Set(dropout)).toEqual(new Set([0, Math.fround(1 / 0.75)]));
    const dropped = dropout.filter((v) => v === 0).length / per;
    expect(dropped).toBeGreaterThan(0.15);
    expect(dropped).toBeLessThan(0.35);
    // GaussianNoise: 1 + 0.3 N(0, 1), 864 draws: the sample std within 15% of 0.3.
    const mean = noise.reduce((a, v) => a + v, 0) / per;
    const std = Math.sqrt(noise.reduce((a, v) => a + (v - mean) ** 2, 0) / per);
    expect(Math.abs(mean - 1)).toBeLessThan(0.05);
    expect(Math.abs(std - 0.3)).toBeLessThan(0.045);
  });
});
