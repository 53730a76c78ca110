// Graph models that read labels, in the browser bundle: a conditional VAE's sample(n, seed,
// labels) and decode / reconstruct with labels, and predict() on a model with a classifier
// (softmax of the part its sparse categorical cross-entropy reads), equal to the Node
// library on the same build — through the entry in Node, and in a real Chromium from the
// shipped minified bundle on the page (1 thread) and in the compute worker (2 threads).
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBrowser } from '../../scripts/build-browser.js';
import { loadModel as loadInBrowser } from '../../src/browser/index.js';
import { DataError, ShapeError } from '../../src/errors.js';
import { createKernels } from '../../src/kernels/node.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { encodeModel } from '../../src/models/model-file.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { classifierOnReconstruction, labelled } from '../models/graph-fixtures.js';
import { trainingRecord } from '../models/model-fixtures.js';
import { HAVE_CHROMIUM, noteMissingChromium, openPage, type OpenedPage } from './chromium.js';
import { serveForTests, type TestServer } from './serve.js';

const BUILD = path.join(import.meta.dirname, '../../build');
const OUT = path.join(import.meta.dirname, '../../test-output/browser-labelled');
const SAMPLE_LABELS = [7, 0, 3, 3, 9];
const CODES = [0.5, -1, 2, 0.25];
const CODE_LABELS = [4, 1];

let cvae: Autoencoder;
let clf: Autoencoder;
let cvaeBytes: Uint8Array;
let clfBytes: Uint8Array;
let baseline: Uint8Array;
const x = labelled(3, [28, 28, 1], 4).images;

beforeAll(async () => {
  baseline = new Uint8Array(await readFile(path.join(BUILD, 'kernels.wasm')));
  const kernels = await createKernels({ backend: 'wasm', build: 'kernels.wasm' });
  cvae = new Autoencoder(kernels, presetArchitecture('cvae')).initialize(5);
  cvaeBytes = encodeModel(cvae, trainingRecord('cvae', { loss: 'bce' }));
  clf = new Autoencoder(kernels, classifierOnReconstruction([28, 28, 1])).initialize(6);
  clfBytes = encodeModel(clf, trainingRecord('graph'));
});

afterAll(() => {
  cvae?.dispose();
  clf?.dispose();
});

describe('browser entry in Node: labelled models', () => {
  it('a conditional VAE samples, decodes and reconstructs with labels exactly as Node does', async () => {
    const model = await loadInBrowser(cvaeBytes, { wasm: { 'kernels.wasm': baseline }, deterministic: true });
    try {
      expect(model.info).toMatchObject({ kind: 'vae', labels: 10, readsLabels: true, decoderReadsLabels: true, classifier: null });
      expect(Array.from(await model.sample(5, 11, SAMPLE_LABELS))).toEqual(Array.from(cvae.sample(5, 11, SAMPLE_LABELS)));
      expect(Array.from(await model.decode(Float32Array.from(CODES), CODE_LABELS))).toEqual(Array.from(cvae.decode(Float32Array.from(CODES), CODE_LABELS)));
      expect(Array.from(await model.reconstruct(x, [1, 2, 3]))).toEqual(Array.from(cvae.reconstruct(x, [1, 2, 3])));
      await expect(model.sample(2, 1)).rejects.toThrow(ShapeError);
      await expect(model.sample(2, 1)).rejects.toThrow(/this model's decoder reads the label: pass one label per sample \(2 in 0\.\.9\)/);
      await expect(model.sample(1, 1, [2.5])).rejects.toThrow(DataError);
      await expect(model.sample(1, 1, [10])).rejects.toThrow(/label 10 at index 0 is outside 0\.\.9/);
      await expect(model.sample(1, 1, 3 as never)).rejects.toThrow(/labels must be an array of class indices, got number/);
      await expect(model.predict(x)).rejects.toThrow(/predict needs a model with a classifier/);
    } finally {
      model.dispose();
    }
  });

  it('predict returns the softmax of the classifier part, exactly as Node computes it', async () => {
    const model = await loadInBrowser(clfBytes, { wasm: { 'kernels.wasm': baseline }, deterministic: true });
    try {
      expect(model.info).toMatchObject({ kind: 'autoencoder', labels: 3, readsLabels: false, decoderReadsLabels: false, classifier: 'classifier' });
      const p = await model.predict(x);
      expect(p).toHaveLength(3 * 3);
      expect(Array.from(p)).toEqual(Array.from(clf.predict(x)));
      for (let r = 0; r < 3; r++) expect(p[r * 3]! + p[r * 3 + 1]! + p[r * 3 + 2]!).toBeCloseTo(1, 6);
      // The softmax of the logits a forward pass leaves in the classifier part, computed here in float64.
      const g = clf.compile({ batch: 3, training: false, loss: 'mse' });
      clf.kernels.heap.write(g.input.offset, x);
      g.forward({ kernels: clf.kernels, training: false, noise: null as never }, 3, false);
      const logits = clf.kernels.heap.read(g.valueOf('classifier').offset, 9);
      g.release();
      for (let r = 0; r < 3; r++) {
        const row = Array.from(logits.subarray(r * 3, r * 3 + 3));
        const m = Math.max(...row);
        const e = row.map((v) => Math.exp(v - m));
        const s = e.reduce((a, b) => a + b, 0);
        e.forEach((v, c) => expect(Math.abs(p[r * 3 + c]! - v / s)).toBeLessThan(1e-6));
      }
      await expect(model.predict(new Float32Array(5))).rejects.toThrow(/images: 5 values is not a whole number of samples of shape \[28, 28, 1\]/);
    } finally {
      model.dispose();
    }
  });
});

noteMissingChromium('browser labelled-model tests');

interface PageRun {
  build: string;
  threads: number;
  samples: number[];
  decoded: number[];
  probs: number[];
}

describe.skipIf(!HAVE_CHROMIUM)('labelled models in Chromium', () => {
  let server: TestServer;
  let chromium: OpenedPage;
  let page: Page;
  let problems: string[] = [];

  beforeAll(async () => {
    await rm(OUT, { recursive: true, force: true });
    await mkdir(OUT, { recursive: true });
    const dir = path.join(OUT, 'browser');
    await buildBrowser(dir);
    server = await serveForTests(dir);
    server.files.set('/m/cvae', cvaeBytes);
    server.files.set('/m/clf', clfBytes);
    chromium = await openPage(server.url);
    ({ page, problems } = chromium);
  });

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });

  it.each([1, 2])('sample with labels and predict equal Node on %i thread(s)', async (threads) => {
    const run = await page.evaluate(
      async ({ threads, sampleLabels, codes, codeLabels, x }): Promise<PageRun> => {
        const lib = await (0, eval)('import("/browser/ae-wasm.js")');
        const cvae = await lib.loadModel('/m/cvae', { deterministic: true, threads });
        const clf = await lib.loadModel('/m/clf', { deterministic: true, threads });
        try {
          return {
            build: cvae.info.build,
            threads: cvae.info.threads,
            samples: Array.from(await cvae.sample(sampleLabels.length, 11, sampleLabels) as Float32Array),
            decoded: Array.from(await cvae.decode(Float32Array.from(codes), codeLabels) as Float32Array),
            probs: Array.from(await clf.predict(Float32Array.from(x)) as Float32Array),
          };
        } finally {
          cvae.dispose();
          clf.dispose();
        }
      },
      { threads, sampleLabels: SAMPLE_LABELS, codes: CODES, codeLabels: CODE_LABELS, x: Array.from(x) },
    );
    expect(run.threads).toBe(threads);
    expect(run.build).toBe(threads === 1 ? 'kernels.wasm' : 'kernels-threads.wasm');
    // The baseline builds compute every element in one fixed order, on any thread count: Node's bytes.
    expect(run.samples).toEqual(Array.from(cvae.sample(5, 11, SAMPLE_LABELS)));
    expect(run.decoded).toEqual(Array.from(cvae.decode(Float32Array.from(CODES), CODE_LABELS)));
    expect(run.probs).toEqual(Array.from(clf.predict(x)));
    expect(problems).toEqual([]);
  });
});
