// Typed errors in a real Chromium, from the real minified bundle: a corrupt, truncated,
// oversized or badly built model file is refused with the class Node refuses it with —
// same err.name, same message, `instanceof` the bundle's own class — on the page and
// through the compute worker (threads), and errors crossing a Web Worker keep their
// class and fields. Skipped, with a notice, where Chromium is not installed.

import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBrowser } from '../../scripts/build-browser.js';
import { JsKernels } from '../../src/kernels/js.js';
import { createKernels } from '../../src/kernels/node.js';
import { loadModel } from '../../src/models/node.js';
import { editRecord, modelFile } from '../models/model-fixtures.js';
import { HAVE_CHROMIUM, noteMissingChromium, openPage, type OpenedPage } from './chromium.js';
import { serveForTests, type TestServer } from './serve.js';

const OUT = path.join(import.meta.dirname, '../../test-output/browser-errors');

noteMissingChromium('browser error tests');

interface Refusal {
  case: string;
  accepted?: boolean;
  name?: string;
  message?: string;
  /** err instanceof lib.AeError, and instanceof the bundle's class of that name. */
  typed?: boolean;
  ownClass?: boolean;
  /** The class's (minified) constructor name: shows the name survives only by errorName. */
  constructorName?: string;
  fields?: Record<string, unknown>;
}

/** The bad model files, and what Node's loadModel says about each. */
function badModels(): Record<string, Uint8Array> {
  const dense = modelFile(new JsKernels(), 'dense');
  const withHeaderLength = (n: bigint) => {
    const b = dense.slice();
    new DataView(b.buffer).setBigUint64(0, n, true);
    return b;
  };
  const corrupt = dense.slice();
  corrupt[8] = 0x00; // the header's first byte: no longer JSON
  return {
    truncated: dense.slice(0, Math.floor(dense.length * 0.6)),
    'corrupt header': corrupt,
    'header too large': withHeaderLength(2n ** 40n),
    'unknown layer class': editRecord(dense, 'architecture', (a) => {
      ((a['parts'] as Record<string, { class_name: string }[]>)['encoder']![1]!).class_name = 'Dense2';
      return a;
    }),
    'negative units': editRecord(dense, 'architecture', (a) => {
      ((a['parts'] as Record<string, { config: Record<string, unknown> }[]>)['encoder']![1]!).config['units'] = -5;
      return a;
    }),
  };
}

async function nodeRefusal(name: string, bytes: Uint8Array): Promise<Refusal> {
  try {
    (await loadModel(bytes, { kernels: await createKernels({ deterministic: true }) })).dispose();
    return { case: name, accepted: true };
  } catch (err) {
    return { case: name, name: (err as Error).name, message: (err as Error).message };
  }
}

describe.skipIf(!HAVE_CHROMIUM)('typed errors in Chromium, from the minified bundle', () => {
  let server: TestServer;
  let chromium: OpenedPage;
  let page: Page;
  const models = badModels();
  let problems: string[] = [];

  beforeAll(async () => {
    await rm(OUT, { recursive: true, force: true });
    await mkdir(OUT, { recursive: true });
    const dir = path.join(OUT, 'browser');
    await buildBrowser(dir);
    await build({ entryPoints: [path.join(import.meta.dirname, 'transport-entry.ts')], bundle: true, format: 'esm', platform: 'browser', target: ['es2022'], minify: true, outfile: path.join(dir, 'transport.js'), logLevel: 'warning' });
    server = await serveForTests(dir);
    for (const [name, bytes] of Object.entries(models)) server.files.set(`/case/${encodeURIComponent(name)}`, bytes);
    server.files.set('/case/good', modelFile(new JsKernels(), 'dense'));
    server.files.set('/transport-worker.js', new TextEncoder().encode(TRANSPORT_WORKER));
    chromium = await openPage(server.url);
    ({ page, problems } = chromium);
  });

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });

  /** Loads each case on the page (threads 1) or through the compute worker (threads 2). */
  const refusals = (threads: number) =>
    page.evaluate(
      async ({ cases, threads }) => {
        const lib = await (0, eval)('import("/browser/ae-wasm.js")');
        const out: Refusal[] = [];
        for (const name of cases) {
          const bytes = new Uint8Array(await (await fetch(`/case/${encodeURIComponent(name)}`)).arrayBuffer());
          try {
            (await lib.loadModel(bytes, { deterministic: true, threads })).dispose();
            out.push({ case: name, accepted: true });
          } catch (err) {
            const e = err as Error;
            out.push({ case: name, name: e.name, message: e.message, typed: e instanceof lib.AeError, ownClass: e instanceof lib[e.name], constructorName: e.constructor.name, fields: { ...e } });
          }
        }
        return out;
      },
      { cases: Object.keys(models), threads },
    );

  it('the bundle renames the classes (so this test means something), yet err.name is the class name', async () => {
    const names = await page.evaluate(async () => {
      const lib = await (0, eval)('import("/browser/ae-wasm.js")');
      return ['FormatError', 'ShapeError', 'HeapError', 'WorkerError'].map((n) => ({ constructor: lib[n].name as string, instance: new lib[n]('x').name as string }));
    });
    expect(names.map((n) => n.instance)).toEqual(['FormatError', 'ShapeError', 'HeapError', 'WorkerError']);
    expect(names.filter((n) => n.constructor === n.instance)).toEqual([]);
  });

  it.each([1, 2])('bad model files are refused as in Node: same name and message, instanceof the bundle\'s class (threads %i)', async (threads) => {
    const got = await refusals(threads);
    const expected = await Promise.all(Object.entries(models).map(([name, bytes]) => nodeRefusal(name, bytes)));
    expect(got.map(({ case: c, name, message }) => ({ case: c, name, message }))).toEqual(expected);
    for (const r of got) {
      expect(r.typed, r.case).toBe(true);
      expect(r.ownClass, r.case).toBe(true);
    }
    expect(got.map((r) => r.name)).toEqual(['FormatError', 'FormatError', 'FormatError', expect.stringMatching(/Error$/), expect.stringMatching(/Error$/)]);
  });

  it('a task failing in the compute worker rejects with its own class and message (ShapeError)', async () => {
    const node = await loadModel(modelFile(new JsKernels(), 'dense'), { kernels: await createKernels({ deterministic: true }) });
    let expected = '';
    try {
      node.reconstruct(new Float32Array(100));
    } catch (err) {
      expected = (err as Error).message;
    }
    node.dispose();
    const got = await page.evaluate(async () => {
      const lib = await (0, eval)('import("/browser/ae-wasm.js")');
      const model = await lib.loadModel('/case/good', { deterministic: true, threads: 2 });
      try {
        await model.reconstruct(new Float32Array(100));
        return { threads: model.info.threads };
      } catch (err) {
        const e = err as Error;
        return { threads: model.info.threads, name: e.name, message: e.message, ownClass: e instanceof lib.ShapeError };
      } finally {
        model.dispose();
      }
    });
    expect(expected).not.toBe('');
    expect(got).toEqual({ threads: 2, name: 'ShapeError', message: expected, ownClass: true });
  });

  it('errors posted from a Web Worker are rebuilt as their class with their fields; unknown ones as WorkerError', async () => {
    const got = await page.evaluate(async () => {
      const lib = await (0, eval)('import("/browser/transport.js")');
      const worker = new Worker('/transport-worker.js', { type: 'module' });
      const records = await new Promise<unknown[]>((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(e.message));
        worker.postMessage('go');
      });
      worker.terminate();
      return records.map((r) => {
        const e = lib.rebuildError(r, 'the test worker');
        const own = ['HeapError', 'FileError', 'ShapeError', 'WorkerError'].find((n) => e instanceof lib[n] && e.name === n);
        const { name: _, ...fields } = { ...e };
        return { name: e.name, message: e.message, own, fields, cause: e.cause ?? null };
      });
    });
    expect(got).toEqual([
      { name: 'HeapError', message: 'heap: 5 GiB asked', own: 'HeapError', fields: { requestedBytes: 5 * 2 ** 30, capacityBytes: 2 ** 26, maximumBytes: 2 ** 32 }, cause: null },
      { name: 'FileError', message: 'cannot read m.safetensors', own: 'FileError', fields: { path: '/m.safetensors' }, cause: 'TypeError: fetch failed' },
      { name: 'ShapeError', message: 'bad shape', own: 'ShapeError', fields: {}, cause: null },
      { name: 'WorkerError', message: 'the test worker: RangeError: Maximum call stack size exceeded', own: 'WorkerError', fields: {}, cause: null },
    ]);
  });

  it('logged no console errors, threw no page errors and never crashed', () => {
    expect(problems).toEqual([]);
  });
});

/** The worker: throws four errors and posts their records (serializeError). */
const TRANSPORT_WORKER = `
import * as lib from '/browser/transport.js';
self.onmessage = () => {
  const thrown = [
    () => { throw new lib.HeapError('heap: 5 GiB asked', 5 * 2 ** 30, 2 ** 26, 2 ** 32); },
    () => { throw new lib.FileError('cannot read m.safetensors', '/m.safetensors', { cause: new TypeError('fetch failed') }); },
    () => { throw new lib.ShapeError('bad shape'); },
    () => { const f = () => f(); f(); },
  ];
  const records = thrown.map((t) => { try { t(); } catch (err) { return lib.serializeError(err); } });
  self.postMessage(records);
};
`;
