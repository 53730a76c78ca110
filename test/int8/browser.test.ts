// An int8 model in a real Chromium, from the shipped bundle: it loads, says so in
// info.quantization, and reconstructs and encodes bit for bit as the Node library on the
// same build (the baseline and the relaxed one, whose relaxed i8 dot runs there), on the
// page and through the compute worker (threads). Skipped, with a notice, where Chromium is missing.

import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBrowser } from '../../scripts/build-browser.js';
import { createKernels } from '../../src/kernels/node.js';
import { decodeModel, encodeModel } from '../../src/models/model-file.js';
import { quantizationOf, quantizeModel } from '../../src/models/quantize.js';
import { createModel } from '../../src/index.js';
import { HAVE_CHROMIUM, noteMissingChromium, openPage, type OpenedPage } from '../browser/chromium.js';
import { serveForTests, type TestServer } from '../browser/serve.js';

const OUT = path.join(import.meta.dirname, '../../test-output/int8-browser');
const TRAINING = { preset: 'deep', loss: 'mse' as const, optimizer: { name: 'adam' }, noise: 0, l1: 0, beta: 1, seed: 4 };

noteMissingChromium('int8 browser tests');

/** Inputs in [0, 1] with some exact zeros (relu-like), so the relaxed path is taken. */
const images = (n: number): Float32Array => Float32Array.from({ length: n * 784 }, (_, i) => (i % 5 === 0 ? 0 : ((i * 7919) % 1000) / 999));

describe.skipIf(!HAVE_CHROMIUM)('int8 models in Chromium', () => {
  let server: TestServer;
  let chromium: OpenedPage;
  let page: Page;
  let bytes: Uint8Array;

  beforeAll(async () => {
    await rm(OUT, { recursive: true, force: true });
    await mkdir(OUT, { recursive: true });
    const dir = path.join(OUT, 'browser');
    const float = await createModel('deep', { latent: 16, seed: 9, kernels: await createKernels({ deterministic: true }) });
    const q = quantizeModel(float);
    bytes = encodeModel(q, TRAINING);
    q.dispose();
    float.dispose();
    await buildBrowser(dir);
    server = await serveForTests(dir);
    server.files.set('/m/int8', bytes);
    chromium = await openPage(server.url);
    page = chromium.page;
  });

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });

  it.each([
    [true, 1, 'kernels.wasm'],
    [false, 1, 'kernels-relaxed.wasm'],
    [true, 2, 'kernels-threads.wasm'],
  ] as const)('deterministic %s, threads %i: runs on %s, equal to Node bit for bit', async (deterministic, threads, build) => {
    const x = images(7);
    const got = await page.evaluate(
      async ({ x, deterministic, threads }) => {
        const lib = await (0, eval)('import("/browser/ae-wasm.js")');
        const model = await lib.loadModel('/m/int8', { deterministic, threads });
        try {
          const input = Float32Array.from(x);
          return {
            build: model.info.build, quantization: model.info.quantization,
            recon: Array.from(await model.reconstruct(input) as Float32Array), codes: Array.from(await model.encode(input) as Float32Array),
          };
        } finally {
          model.dispose();
        }
      },
      { x: Array.from(x), deterministic, threads },
    );
    expect(chromium.problems).toEqual([]);
    expect(got.build).toBe(build);
    const node = decodeModel(bytes, await createKernels({ backend: 'wasm', build: build.replace('-threads', '') }), 'int8').model;
    try {
      expect(got.quantization).toEqual(quantizationOf(node));
      expect(got.quantization.layers).toHaveLength(6);
      expect(new Uint32Array(Float32Array.from(got.recon).buffer)).toEqual(new Uint32Array(node.reconstruct(x).buffer));
      expect(new Uint32Array(Float32Array.from(got.codes).buffer)).toEqual(new Uint32Array(node.encode(x).buffer));
    } finally {
      node.dispose();
    }
  });
});
