// The browser loader fuzzed in a real Chromium: the shipped, minified bundle's loadModel
// given mutated model files — the Node suite's seeds and mutations, from a fixed, reported
// seed. A case must be accepted, or refused with an AeError that is `instanceof` the
// bundle's class of its name, with the name and message Node's decodeModel gives for the
// same bytes (the decoding code is shared, so any difference is a browser-only fault;
// only the engine's own JSON.parse wording may differ).
// Every THREADED_EVERY-th case loads with threads: 2, through the compute worker, so its
// refusal also crosses a worker boundary. A case with no answer within HANG_MS is a hang (the page is replaced and the run goes
// on); a renderer crash is a crash.

import fc from 'fast-check';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { buildBrowser } from '../../scripts/build-browser.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { decodeModel } from '../../src/models/model-file.js';
import { launchChromium, type LaunchedBrowser } from '../browser/chromium.js';
import { serveForTests, type TestServer } from '../browser/serve.js';
import { CASE_TIME_LIMIT_MS, fuzzCase, type Tally } from './harness.js';
import { applyMutation, modelMutation } from './mutations.js';
import { modelSeeds } from './seeds.js';
import type { Target } from './targets.js';

/** Time a case may take in the page, wasm compilation included (the Node suite's watchdog). */
export const HANG_MS = 4 * CASE_TIME_LIMIT_MS;
const THREADED_EVERY = 10;
const OUT = path.join(import.meta.dirname, '../../test-output/fuzz-chromium');

/**
 * `crash` counts untyped errors, refusals of the wrong class and page crashes; memory is
 * not measured in the page (overallocation stays 0: a runaway allocation crashes the page).
 */
export interface ChromiumTally extends Tally {
  /** Typed, but not what Node says for the same bytes (also in reports). */
  mismatch: number;
  /** Slowest case, ms (compilation included). */
  slowestMs: number;
  reports: string[];
}

interface PageOutcome {
  accepted?: boolean;
  name?: string;
  message?: string;
  typed?: boolean;
  ownClass?: boolean;
  ms: number;
}

/** What the page does with one case: fetch it, load it with the bundle, report. */
async function loadInPage({ url, threads }: { url: string; threads: number }): Promise<PageOutcome> {
  const g = globalThis as unknown as { aeLib?: Promise<Record<string, unknown>> };
  g.aeLib ??= (0, eval)('import("/browser/ae-wasm.js")') as Promise<Record<string, unknown>>;
  const lib = (await g.aeLib) as { loadModel: (b: Uint8Array, o: object) => Promise<{ dispose(): void }>; AeError: new () => Error } & Record<string, unknown>;
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const t0 = performance.now();
  try {
    (await lib.loadModel(bytes, { deterministic: true, threads })).dispose();
    return { accepted: true, ms: performance.now() - t0 };
  } catch (err) {
    const e = err as Error;
    const cls = typeof e?.name === 'string' && Object.hasOwn(lib, e.name) ? lib[e.name] : undefined;
    return { name: String(e?.name), message: String(e?.message), typed: e instanceof lib.AeError, ownClass: typeof cls === 'function' && e instanceof cls, ms: performance.now() - t0 };
  }
}

function nodeOutcome(bytes: Uint8Array, kernels: Kernels): { accepted?: boolean; name?: string; message?: string } {
  try {
    decodeModel(bytes, kernels, '<bytes>').model.dispose();
    return { accepted: true };
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
}

/**
 * A message without the engine's own words: a FormatError for bad JSON quotes JSON.parse's
 * SyntaxError, which Chromium's V8 words differently from Node's ("(line 1 column N)",
 * "Expected ':' after property name" where Node says "Unexpected end of JSON input").
 */
const engineNeutral = (message: string | undefined) => message?.replace(/(is not valid JSON)( \(|: ).*$/, '$1$2...');

const sleep = (ms: number) => new Promise<'hang'>((resolve) => setTimeout(() => resolve('hang'), ms).unref());

/** Runs `cases` mutated model files through the bundle in Chromium (Chromium must be installed). */
export async function fuzzChromium(kernels: Kernels, cases: number, seed: number): Promise<ChromiumTally> {
  const dir = path.join(OUT, 'browser');
  await buildBrowser(dir);
  const seeds = modelSeeds(kernels);
  const target = { name: 'browser loader', seeds, mutation: modelMutation() } as Target;
  const samples = fc.sample(fuzzCase(target), { numRuns: cases, seed });
  const tally: ChromiumTally = { name: 'browser loader (Chromium)', cases: 0, accepted: 0, rejected: 0, crash: 0, hang: 0, overallocation: 0, mismatch: 0, slowestMs: 0, reports: [] };
  let server: TestServer | undefined;
  let chromium: LaunchedBrowser | undefined;
  try {
    server = await serveForTests(dir);
    chromium = await launchChromium();
    const open = async (): Promise<Page> => {
      const p = await chromium!.context.newPage();
      await p.goto(server!.url);
      return p;
    };
    let page = await open();
    for (const [i, c] of samples.entries()) {
      const s = seeds[c.seed % seeds.length]!;
      const bytes = applyMutation(s.bytes, c.mutation, seeds.map((x) => x.bytes));
      const url = `/case/${i}`;
      const threads = i % THREADED_EVERY === 0 ? 2 : 1;
      server.files.set(url, bytes);
      const fault = (kind: 'crash' | 'hang' | 'mismatch', what: string) => {
        tally[kind]++;
        tally.reports.push(`browser loader ${kind} on case ${i} (${s.name}, threads ${threads}, ${JSON.stringify(c.mutation).slice(0, 200)}): ${what.slice(0, 300)}`);
      };
      const got = await Promise.race([page.evaluate(loadInPage, { url, threads }).catch((err: unknown) => ({ crashed: String(err) })), sleep(HANG_MS)]);
      server.files.delete(url);
      tally.cases++;
      if (got === 'hang' || 'crashed' in got) {
        if (got === 'hang') fault('hang', `no answer in ${HANG_MS} ms`);
        else fault('crash', got.crashed);
        await page.close().catch(() => undefined);
        page = await open();
        continue;
      }
      tally.slowestMs = Math.max(tally.slowestMs, got.ms);
      const node = nodeOutcome(bytes, kernels);
      if (got.accepted) {
        if (node.accepted) tally.accepted++;
        else fault('mismatch', `accepted in Chromium, Node refuses it: ${node.name}: ${node.message}`);
      } else if (!got.typed || !got.ownClass) fault('crash', `not a typed error of its own class: ${got.name}: ${got.message}`);
      else if (got.name !== node.name || engineNeutral(got.message) !== engineNeutral(node.message)) fault('mismatch', `Chromium: ${got.name}: ${got.message} | Node: ${node.accepted ? 'accepted' : `${node.name}: ${node.message}`}`);
      else if (got.ms > HANG_MS) fault('hang', `took ${got.ms.toFixed(0)} ms`);
      else tally.rejected++;
    }
  } finally {
    await chromium?.close();
    await server?.close();
  }
  return tally;
}

/** One line in `npm run fuzz`'s table. */
export function chromiumLine(t: ChromiumTally, seconds: number, seed: number): string {
  return `${t.name}: ${t.cases} cases in ${seconds.toFixed(1)} s (seed ${seed}, slowest ${t.slowestMs.toFixed(0)} ms, limit ${HANG_MS} ms): ${t.accepted} accepted, ${t.rejected} rejected, ${t.crash} crashes, ${t.hang} hangs, ${t.mismatch} differing from Node`;
}
