// The shipped browser bundles: what they contain (and must not), the size budget, and
// that both actually load and run a model (Node has fetch, Response and atob).

import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBrowser } from '../../scripts/build-browser.js';
import { BUDGET_BYTES, measure } from '../../scripts/size.js';
import { createModel } from '../../src/index.js';
import { createKernels } from '../../src/kernels/node.js';
import { encodeModel } from '../../src/models/model-file.js';
import type * as BrowserApi from '../../src/browser/index.js';
import * as errors from '../../src/errors.js';

const OUT = path.join(import.meta.dirname, '../../test-output/bundle');
/** "\0asm" in base64: the start of every embedded .wasm. */
const WASM_BASE64 = 'AGFzbQ';

let js: string;
let inline: string;

beforeAll(async () => {
  await rm(OUT, { recursive: true, force: true });
  await buildBrowser(OUT);
  js = await readFile(path.join(OUT, 'ae-wasm.js'), 'utf8');
  inline = await readFile(path.join(OUT, 'ae-wasm.inline.js'), 'utf8');
});

// What src/browser/ may import (no node:, cli/, train/ or data/) is test/architecture.test.ts's.
describe('browser bundles', () => {
  it('import nothing: no node: modules, no bare imports', () => {
    for (const text of [js, inline]) {
      expect(text).not.toMatch(/\bnode:[a-z]/);
      expect(text).not.toMatch(/\bimport\s*[^(]*?from\s*["']|\bimport\s*\(\s*["']/);
      expect(text).not.toMatch(/\brequire\s*\(/);
    }
  });

  it('leave out the PNG decoder, training and the .wasm bytes (inline bundle only)', () => {
    expect(js).not.toMatch(/IHDR|hasPngSignature|adamStep\(|early_stopping/);
    expect(js).not.toContain(WASM_BASE64);
    expect(inline.split(WASM_BASE64).length - 1).toBe(2);
  });

  it(`fit the budget: a page downloads at most ${BUDGET_BYTES / 1024} KB gzipped`, async () => {
    const report = await measure(OUT);
    expect(report.pages.map((p) => p.what)).toEqual(['ae-wasm.js + kernels.wasm', 'ae-wasm.js + kernels-relaxed.wasm', 'ae-wasm.inline.js alone']);
    expect(report.worstPage).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it('load and run a model: the inline bundle by itself, the default one given its builds', async () => {
    const node = await createModel('dense', { latent: 8, seed: 2, kernels: await createKernels({ deterministic: true }) });
    const bytes = encodeModel(node, { loss: 'mse', optimizer: { name: 'adam' }, noise: 0, l1: 0, beta: 1, seed: 2 });
    const x = Float32Array.from({ length: 2 * 784 }, (_, i) => (i % 17) / 16);
    const expected = node.reconstruct(x);
    const lib = (await import(pathToFileURL(path.join(OUT, 'ae-wasm.js')).href)) as typeof BrowserApi;
    const withInline = (await import(pathToFileURL(path.join(OUT, 'ae-wasm.inline.js')).href)) as typeof BrowserApi;
    const a = await withInline.loadModel(bytes, { deterministic: true });
    const b = await lib.loadModel(bytes, { deterministic: true, wasm: { 'kernels.wasm': await readFile(path.join(OUT, 'kernels.wasm')) } });
    expect(a.info.build).toBe('kernels.wasm');
    expect(Array.from(await a.reconstruct(x))).toEqual(Array.from(expected));
    expect(Array.from(await b.reconstruct(x))).toEqual(Array.from(expected));
    await expect(lib.loadModel(bytes, { wasm: 'inline' })).rejects.toBeInstanceOf(lib.ArgumentError);
    a.dispose();
    b.dispose();
    node.dispose();
  });

  it('keep the error class names through minification (err.name, instanceof the exported class)', async () => {
    const lib = (await import(pathToFileURL(path.join(OUT, 'ae-wasm.inline.js')).href)) as typeof BrowserApi;
    // The minifier renames the classes; the names users branch on are spelled out in errors.ts.
    expect(lib.FormatError.name).not.toBe('FormatError');
    const err = await lib.loadModel(new Uint8Array(16)).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(lib.FormatError);
    expect(err).toBeInstanceOf(lib.AeError);
    expect((err as Error).name).toBe('FormatError');
    // Every class of src/errors.ts is exported, under its name, and named so.
    const exported = lib as unknown as Record<string, new (message: string) => Error>;
    for (const name of Object.keys(errors)) expect(new exported[name]!('x').name, name).toBe(name);
  });
});
