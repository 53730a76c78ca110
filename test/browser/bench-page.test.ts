// The benchmark page (web/bench.html) in a real headless Chromium, on a short configuration:
// the dense preset, inference at batch 1 and 256 and training at batch 256, three samples
// after a short warm-up. It must show a finite positive samples/s for ae-wasm and for every
// peer that started (figures are never compared: a shared machine), list every engine that
// did not start with its reason, and have checked each peer's output against ae-wasm's
// before timing it. Served without cross-origin isolation, it runs on one thread and says
// why the threaded engine did not start; given a TF.js export with altered weights, it times
// no TF.js case and shows by how much the outputs differ. Skipped, with a notice, where Chromium is not installed.

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemo } from '../../scripts/build-demo.js';
import { startDemoServer, type DemoServer } from '../../scripts/demo-server.js';
import { TFJS_WEIGHTS_FILE } from '../../src/interop/export-tfjs.js';
import { HAVE_CHROMIUM, noteMissingChromium, openPage, type OpenedPage } from './chromium.js';

const OUT = path.join(import.meta.dirname, '../../test-output/browser-bench');
const QUERY = 'bench.html?presets=dense&infer=1,256&train=256&n=3&quick=1&autorun=1';
/** Every engine the page knows, by the label it shows: each is a column or a "Not timed" line. */
const LABELS = ['ae-wasm, 1 thread', 'ae-wasm, 2 threads', 'TF.js wasm', 'TF.js webgl', 'TF.js webgpu', 'ONNX Runtime Web wasm'];

noteMissingChromium('browser benchmark page test');

interface Cell {
  engine: string;
  samplesPerSec: number | null;
  reason: string | null;
}
interface PageTable {
  state: string;
  status: string;
  columns: string[];
  rows: { task: string; batch: number; cells: Cell[] }[];
  notTimed: string[];
  agreement: { preset: string; batch: number; engine: string; maxAbsDiff: number; agree: boolean }[];
  facts: Record<string, string>;
}

/** The page's table, lists and facts, once it has finished. */
async function runPage(page: Page, shot: string): Promise<PageTable> {
  await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 120_000 });
  await page.screenshot({ path: path.join(OUT, shot), fullPage: true });
  return page.evaluate((): PageTable => {
    const text = (e: Element) => e.textContent ?? '';
    const dts = [...document.querySelectorAll('#facts dt')];
    return {
      state: document.body.dataset['state']!,
      status: text(document.getElementById('status')!),
      columns: [...document.querySelectorAll('#results thead th')].map(text),
      rows: [...document.querySelectorAll<HTMLTableRowElement>('#results tbody tr')].map((tr) => ({
        task: tr.dataset['task']!,
        batch: Number(tr.dataset['batch']),
        cells: [...tr.querySelectorAll<HTMLTableCellElement>('td[data-engine]')].map((td) => ({
          engine: td.dataset['engine']!,
          samplesPerSec: td.dataset['samplesPerSec'] === undefined ? null : Number(td.dataset['samplesPerSec']),
          reason: td.dataset['reason'] ?? null,
        })),
      })),
      notTimed: [...document.querySelectorAll('#unavailable li')].map(text),
      agreement: [...document.querySelectorAll<HTMLElement>('#agreement li span')].map((span) => ({
        preset: span.parentElement!.dataset['preset']!,
        batch: Number(span.parentElement!.dataset['batch']),
        engine: span.dataset['engine']!,
        maxAbsDiff: Number(span.dataset['maxAbsDiff']),
        agree: span.dataset['agree'] === 'true',
      })),
      facts: Object.fromEntries(dts.map((dt) => [text(dt), text(dt.nextElementSibling!)])),
    };
  });
}

let site: string;

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  await rm(OUT, { recursive: true, force: true });
  await mkdir(path.join(OUT, 'runs'), { recursive: true });
  site = await buildDemo(path.join(OUT, 'site'));
}, 120_000);

describe.skipIf(!HAVE_CHROMIUM)('benchmark page in Chromium', () => {
  let server: DemoServer;
  let chromium: OpenedPage;
  let table: PageTable;

  beforeAll(async () => {
    server = await startDemoServer({ root: site, runsDir: path.join(OUT, 'runs') });
    chromium = await openPage(server.url + QUERY);
    table = await runPage(chromium.page, 'bench.png');
  }, 180_000);

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });

  it('finishes, with one row per case and a column per engine that started', () => {
    expect(table.state, table.status).toBe('done');
    expect(table.columns.slice(0, 4)).toEqual(['Preset', 'Task', 'Batch', 'ae-wasm, 1 thread']);
    expect(table.rows.map((r) => `${r.task} ${r.batch}`)).toEqual(['inference 1', 'inference 256', 'training 256']);
    // The demo server isolates the page, so the threaded engines start.
    expect(table.columns).toContain('ae-wasm, 2 threads');
    expect(table.facts['Cross-origin isolated']).toMatch(/^yes/);
    expect(table.facts['ae-wasm, 1 thread']).toMatch(/^kernels(-relaxed)?\.wasm, 1 thread/);
  });

  it('shows a finite positive samples/s for ae-wasm and every peer that started, at batch 1 and 256', () => {
    const engines = table.columns.length - 3;
    for (const row of table.rows.filter((r) => r.task === 'inference')) {
      expect(row.cells).toHaveLength(engines);
      for (const cell of row.cells) {
        expect(cell.reason, `${cell.engine} at batch ${row.batch}`).toBeNull();
        expect(cell.samplesPerSec, `${cell.engine} at batch ${row.batch}`).toBeGreaterThan(0);
        expect(Number.isFinite(cell.samplesPerSec)).toBe(true);
      }
    }
  });

  it('times training where the engine trains, and says why where it does not', () => {
    const training = table.rows.find((r) => r.task === 'training')!;
    const cell = (id: string) => training.cells.find((c) => c.engine === id);
    expect(cell('ae-wasm-1')!.samplesPerSec).toBeGreaterThan(0);
    expect(cell('tfjs-wasm')!.samplesPerSec).toBeGreaterThan(0);
    expect(cell('ort-wasm')!.reason).toMatch(/inference only/);
    for (const c of training.cells) expect(c.samplesPerSec !== null || (c.reason ?? '').length > 10, c.engine).toBe(true);
    for (const c of training.cells.filter((x) => x.reason)) expect(table.notTimed.some((line) => line.includes(c.reason!))).toBe(true);
  });

  it('lists every engine that did not start with its reason', () => {
    for (const label of LABELS) {
      if (table.columns.includes(label)) continue;
      const line = table.notTimed.find((l) => l.startsWith(`${label}: `));
      expect(line, `${label} is neither a column nor listed`).toBeDefined();
      expect(line!.length).toBeGreaterThan(label.length + 10);
    }
  });

  it("checked every peer's output against ae-wasm's before timing it", () => {
    const peers = table.rows[0]!.cells.map((c) => c.engine).filter((e) => e !== 'ae-wasm-1');
    expect(peers.length).toBeGreaterThan(0);
    for (const batch of [1, 256]) {
      const checked = table.agreement.filter((a) => a.preset === 'dense' && a.batch === batch);
      expect(checked.map((a) => a.engine)).toEqual(peers);
      for (const a of checked) {
        expect(a.agree, `${a.engine} at batch ${batch}: ${a.maxAbsDiff}`).toBe(true);
        expect(a.maxAbsDiff).toBeGreaterThanOrEqual(0);
        expect(a.maxAbsDiff).toBeLessThanOrEqual(1e-4);
      }
    }
  });

  it('logged no console errors and threw no page errors', () => {
    expect(chromium.problems).toEqual([]);
  });
});

describe.skipIf(!HAVE_CHROMIUM)('benchmark page without cross-origin isolation, with a TF.js export that disagrees', () => {
  let server: DemoServer;
  let chromium: OpenedPage;
  let table: PageTable;

  beforeAll(async () => {
    // Every weight of the dense TF.js export moved by 0.01 (the page above ran on the intact ones).
    const shard = path.join(site, 'bench-models', 'dense', TFJS_WEIGHTS_FILE);
    const weights = new Float32Array(new Uint8Array(await readFile(shard)).buffer);
    for (let i = 0; i < weights.length; i++) weights[i]! += 0.01;
    await writeFile(shard, new Uint8Array(weights.buffer));
    server = await startDemoServer({ root: site, runsDir: path.join(OUT, 'runs'), isolated: false });
    chromium = await openPage(server.url + 'bench.html?presets=dense&infer=1&train=0&n=2&quick=1&autorun=1');
    table = await runPage(chromium.page, 'bench-not-isolated.png');
  }, 180_000);

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });

  it('runs on one thread and says why the threaded engine did not start', () => {
    expect(table.state, table.status).toBe('done');
    expect(table.facts['Cross-origin isolated']).toMatch(/^no/);
    expect(table.columns).not.toContain('ae-wasm, 2 threads');
    expect(table.notTimed).toContain('ae-wasm, 2 threads: this page is not cross-origin isolated (no SharedArrayBuffer): the kernel thread pool cannot start');
    // TF.js falls back to its single-threaded SIMD build.
    expect(table.facts['TF.js wasm']).toMatch(/tfjs-backend-wasm-simd\.wasm, 1 thread/);
    expect(table.rows.map((r) => `${r.task} ${r.batch}`)).toEqual(['inference 1']);
  });

  it('times no case whose output disagrees with ae-wasm, and says by how much', () => {
    for (const cell of table.rows[0]!.cells) {
      if (cell.engine.startsWith('tfjs-')) {
        expect(cell.samplesPerSec, cell.engine).toBeNull();
        expect(cell.reason, cell.engine).toMatch(/its output differs from ae-wasm's by up to \d\.\d+e[+-]\d+: not timed/);
      } else {
        expect(cell.samplesPerSec, cell.engine).toBeGreaterThan(0);
      }
    }
    const tfjs = table.agreement.filter((a) => a.engine.startsWith('tfjs-'));
    expect(tfjs.length).toBeGreaterThan(0);
    for (const a of tfjs) expect([a.agree, a.maxAbsDiff > 1e-3]).toEqual([false, true]);
    expect(table.agreement.find((a) => a.engine === 'ort-wasm')?.agree).toBe(true);
  });

  it('runs again from the Run button, on a fresh table', async () => {
    await chromium.page.click('#run');
    await chromium.page.waitForSelector('body[data-runs="2"]', { timeout: 60_000 });
    const again = await runPage(chromium.page, 'bench-again.png');
    expect(again.state, again.status).toBe('done');
    expect(again.rows.map((r) => `${r.task} ${r.batch}`)).toEqual(['inference 1']);
    expect(again.agreement.length).toBe(table.agreement.length);
    expect(again.notTimed).toEqual(table.notTimed);
  });

  it('logged no console errors and threw no page errors', () => {
    expect(chromium.problems).toEqual([]);
  });
});
