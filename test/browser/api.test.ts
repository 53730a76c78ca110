// The browser entry's API, run in Node (no DOM needed on the load and inference path):
// same results as the Node library, build choice, option checking, typed errors.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ArgumentError, FileError, FormatError, ShapeError, UnsupportedError } from '../../src/errors.js';
import { loadModel as loadInBrowser, type BrowserModel } from '../../src/browser/index.js';
import { createKernels } from '../../src/kernels/node.js';
import { encodeModel } from '../../src/models/model-file.js';
import { createModel } from '../../src/index.js';
import type { Autoencoder } from '../../src/models/autoencoder.js';

const BUILD = path.join(import.meta.dirname, '../../build');
const TRAINING = { preset: 'custom', loss: 'mse' as const, optimizer: { name: 'adam' }, noise: 0, l1: 0, beta: 1, seed: 3 };

let baseline: Uint8Array;
let relaxed: Uint8Array;
let denseBytes: Uint8Array;
let vaeBytes: Uint8Array;
let nodeDense: Autoencoder;

/** Deterministic inputs in [0, 1]. */
function images(n: number): Float32Array {
  return Float32Array.from({ length: n * 784 }, (_, i) => ((i * 7919) % 1000) / 999);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

beforeAll(async () => {
  baseline = new Uint8Array(await readFile(path.join(BUILD, 'kernels.wasm')));
  relaxed = new Uint8Array(await readFile(path.join(BUILD, 'kernels-relaxed.wasm')));
  // Freshly initialised weights suffice: these tests compare runtimes, not quality.
  nodeDense = await createModel('dense', { latent: 12, seed: 5, kernels: await createKernels({ deterministic: true }) });
  denseBytes = encodeModel(nodeDense, TRAINING);
  const vae = await createModel('vae', { latent: 2, seed: 6, kernels: await createKernels({ deterministic: true }) });
  vaeBytes = encodeModel(vae, { ...TRAINING, loss: 'bce' });
  vae.dispose();
});

afterAll(() => nodeDense?.dispose());

describe('browser loadModel in Node', () => {
  let model: BrowserModel;
  beforeAll(async () => {
    model = await loadInBrowser(denseBytes, { wasm: { 'kernels.wasm': baseline }, deterministic: true });
  });
  afterAll(() => model?.dispose());

  it('describes the model', () => {
    expect(model.info).toMatchObject({ kind: 'autoencoder', inputShape: [28, 28, 1], codeShape: [12], codeSize: 12, build: 'kernels.wasm', threads: 1, source: '<bytes>' });
    expect(model.info.params).toBe(784 * 12 + 12 + 12 * 784 + 784);
    expect(model.info.training.seed).toBe(3);
    expect(model.info.summary.map((r) => `${r.name} ${r.className}`)).toEqual(['encoder.0 Flatten', 'encoder.1 Dense', 'decoder.0 Dense', 'decoder.1 Reshape']);
  });

  it('encodes, decodes and reconstructs exactly as the Node library on the same build', async () => {
    const x = images(5);
    expect(maxAbsDiff(await model.reconstruct(x), nodeDense.reconstruct(x))).toBe(0);
    const codes = await model.encode(x);
    expect(maxAbsDiff(codes, nodeDense.encode(x))).toBe(0);
    expect(maxAbsDiff(await model.decode(codes), nodeDense.decode(codes))).toBe(0);
  });

  it('rejects bad inputs with typed errors, asynchronously', async () => {
    await expect(model.reconstruct(new Float32Array(100))).rejects.toBeInstanceOf(ShapeError);
    await expect(model.sample(2)).rejects.toBeInstanceOf(ShapeError);
  });

  it('samples a VAE reproducibly', async () => {
    const vae = await loadInBrowser(vaeBytes.slice().buffer, { wasm: { 'kernels.wasm': baseline.slice().buffer }, deterministic: true });
    try {
      const a = await vae.sample(3, 42);
      expect(a.length).toBe(3 * 784);
      expect(maxAbsDiff(a, await vae.sample(3, 42))).toBe(0);
      await expect(vae.sample(0)).rejects.toBeInstanceOf(ArgumentError);
    } finally {
      vae.dispose();
    }
  });

  it('rejects calls after dispose', async () => {
    const m = await loadInBrowser(denseBytes, { wasm: { 'kernels.wasm': baseline }, deterministic: true });
    m.dispose();
    await expect(m.encode(images(1))).rejects.toBeInstanceOf(ShapeError);
  });
});

describe('build choice', () => {
  it('prefers the relaxed build where the engine validates it, unless deterministic', async () => {
    await createKernels({ build: 'kernels-relaxed.wasm' }); // Node 20: lets V8 accept relaxed SIMD
    const wasm = { 'kernels.wasm': baseline, 'kernels-relaxed.wasm': relaxed };
    const fast = await loadInBrowser(denseBytes, { wasm });
    const exact = await loadInBrowser(denseBytes, { wasm, deterministic: true });
    expect([fast.info.build, exact.info.build]).toEqual(['kernels-relaxed.wasm', 'kernels.wasm']);
    fast.dispose();
    exact.dispose();
  });

  it('explains an engine or file the baseline build does not validate on', async () => {
    const junk = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]);
    await expect(loadInBrowser(denseBytes, { wasm: { 'kernels.wasm': junk }, deterministic: true })).rejects.toThrow(UnsupportedError);
    await expect(loadInBrowser(denseBytes, { wasm: { 'kernels.wasm': junk }, deterministic: true })).rejects.toThrow(/WebAssembly\.validate rejects kernels\.wasm \(bytes\).*SIMD/);
  });

  it('checks the wasm option', async () => {
    await expect(loadInBrowser(denseBytes, { wasm: 'inline' })).rejects.toThrow(/ae-wasm\.inline\.js/);
    await expect(loadInBrowser(denseBytes, { wasm: { 'kernel.wasm': baseline } as never })).rejects.toThrow(ArgumentError);
    await expect(loadInBrowser(denseBytes, { wasm: { 'kernels-relaxed.wasm': relaxed }, deterministic: true })).rejects.toThrow(/no source for kernels\.wasm/);
  });

  it('names the URL that failed', async () => {
    const server = await import('node:http').then((http) => http.createServer((_, res) => res.writeHead(404).end()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    try {
      const failure = loadInBrowser(denseBytes, { wasm: base + 'wasm', deterministic: true });
      await expect(failure).rejects.toBeInstanceOf(FileError);
      await expect(failure).rejects.toMatchObject({ message: `${base}wasm/kernels.wasm: HTTP 404 Not Found`, path: `${base}wasm/kernels.wasm` });
      await expect(loadInBrowser(base + 'model.safetensors', { wasm: { 'kernels.wasm': baseline } })).rejects.toThrow(/model\.safetensors: HTTP 404/);
    } finally {
      server.close();
    }
  });

  it('takes a fetch Response, and names a failed one', async () => {
    const m = await loadInBrowser(new Response(denseBytes.slice()), { wasm: { 'kernels.wasm': baseline }, deterministic: true });
    expect(m.info.codeSize).toBe(12);
    m.dispose();
    await expect(loadInBrowser(new Response('gone', { status: 410 }), { wasm: { 'kernels.wasm': baseline } })).rejects.toThrow(/<response>: HTTP 410/);
  });

  it('rejects a relative URL where there is nothing to resolve it against', async () => {
    await expect(loadInBrowser('models/dense.safetensors', { wasm: { 'kernels.wasm': baseline } })).rejects.toThrow(new ArgumentError('loadModel: "models/dense.safetensors" is not a URL (a relative URL needs a page or worker to resolve against)'));
  });

  it('rejects a file that is not a model', async () => {
    await expect(loadInBrowser(new Uint8Array(16), { wasm: { 'kernels.wasm': baseline }, deterministic: true })).rejects.toBeInstanceOf(FormatError);
  });
});

describe('threads option', () => {
  it('runs on one thread and warns once where memory cannot be shared', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const opts = { wasm: { 'kernels.wasm': baseline }, deterministic: true, threads: 4 };
      const a = await loadInBrowser(denseBytes, opts);
      const b = await loadInBrowser(denseBytes, opts);
      expect([a.info.threads, b.info.threads]).toEqual([1, 1]);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/4 threads.*Cross-Origin-Opener-Policy: same-origin.*one thread/);
      a.dispose();
      b.dispose();
    } finally {
      warn.mockRestore();
    }
  });

  it('rejects a count that is not a positive integer', async () => {
    await expect(loadInBrowser(denseBytes, { wasm: { 'kernels.wasm': baseline }, threads: 0 })).rejects.toBeInstanceOf(ArgumentError);
  });
});
