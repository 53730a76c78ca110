// A short run of the browser loader fuzz (test/fuzz/chromium.ts; `npm run fuzz` runs a
// longer one): mutated model files through the minified bundle in Chromium, each accepted
// or refused with its own typed class and Node's message; no crash, hang or page crash.
import { expect, it } from 'vitest';
import { fuzzChromium, chromiumLine } from '../fuzz/chromium.js';
import { wasmKernels } from '../helpers.js';
import { HAVE_CHROMIUM, INSTALL_HINT } from './chromium.js';

const CASES = 240;
const SEED = 11;

it.skipIf(!HAVE_CHROMIUM)(`browser loader in Chromium: ${CASES} mutated model files (seed ${SEED}) accepted or refused with a typed error, as in Node`, async () => {
  const t0 = performance.now();
  const tally = await fuzzChromium(await wasmKernels(), CASES, SEED);
  console.log(chromiumLine(tally, (performance.now() - t0) / 1000, SEED));
  expect(tally.reports).toEqual([]);
  expect(tally.cases).toBe(CASES);
  // The mutations reach both sides: some files still load, most are refused.
  expect(tally.accepted).toBeGreaterThan(0);
  expect(tally.rejected).toBeGreaterThan(0);
});

if (!HAVE_CHROMIUM) it.skip(`browser loader fuzz: ${INSTALL_HINT}`, () => undefined);
