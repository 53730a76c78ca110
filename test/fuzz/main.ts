// `npm run fuzz [-- --cases N --seed S --browser-cases M]`: every target's cases in a worker
// thread with a watchdog, then the browser loader in Chromium (chromium.ts; skipped with a
// note where Chromium is missing), then a table of cases per parser and counts of
// crashes, hangs and over-allocations; exits 1 if there is any. Reproduce a case with the same seed.
import { Worker } from 'node:worker_threads';
import { wasmKernels } from '../helpers.js';
import { CASE_MEMORY_LIMIT_BYTES, CASE_TIME_LIMIT_MS, type Tally } from './harness.js';
import { targets } from './targets.js';
import type { WorkerJob, WorkerMessage } from './worker.js';
import { HAVE_CHROMIUM, INSTALL_HINT } from '../browser/chromium.js';
import { chromiumLine, fuzzChromium } from './chromium.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const CASES = flag('cases', 5000);
const SEED = flag('seed', 20261206);
/** Each browser case compiles the bundle's wasm, so the Chromium run is shorter by default. */
const BROWSER_CASES = flag('browser-cases', Math.min(CASES, 2000));
/** A case with no answer after this long is stuck, not slow (the worker times slow ones itself). */
const WATCHDOG_MS = 4 * CASE_TIME_LIMIT_MS;

/** Runs target `index` from case `start`; resolves when done, restarting past a stuck case. */
function runTarget(index: number, tally: Tally, start = 0): Promise<void> {
  return new Promise((resolve, reject) => {
    const job: WorkerJob = { target: index, cases: CASES, seed: SEED, start };
    const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: job });
    let current: { index: number; description: string } | undefined;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const stuck = current;
        void worker.terminate();
        if (!stuck) return reject(new Error(`fuzz worker for ${tally.name} did not start`));
        tally.cases++;
        tally.hang++;
        tally.reports.push(`${tally.name} hang (no answer in ${WATCHDOG_MS} ms) on case ${stuck.index}: ${stuck.description}`);
        runTarget(index, tally, stuck.index + 1).then(resolve, reject);
      }, WATCHDOG_MS * (current ? 1 : 15));
    };
    arm();
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'start') {
        tally.name = m.name;
        current = { index: m.index, description: m.description };
        arm();
      } else if (m.type === 'result') {
        tally.cases++;
        tally[m.verdict as 'accepted']++;
        if (m.report) tally.reports.push(m.report);
        current = undefined;
        arm();
      } else {
        clearTimeout(timer);
        void worker.terminate().then(() => resolve());
      }
    });
    worker.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

const kernels = await wasmKernels();
const names = (await targets(kernels)).map((t) => t.name);
const tallies: Tally[] = [];
const t0 = performance.now();
for (const [i, name] of names.entries()) {
  const tally: Tally = { name, cases: 0, accepted: 0, rejected: 0, crash: 0, hang: 0, overallocation: 0, reports: [] };
  const start = performance.now();
  await runTarget(i, tally);
  tallies.push(tally);
  const seconds = ((performance.now() - start) / 1000).toFixed(1);
  console.log(`${name.padEnd(12)} ${String(tally.cases).padStart(6)} cases in ${seconds.padStart(5)} s: ${tally.accepted} accepted, ${tally.rejected} rejected, ${tally.crash} crashes, ${tally.hang} hangs, ${tally.overallocation} over-allocations`);
}
if (HAVE_CHROMIUM) {
  const start = performance.now();
  const tally = await fuzzChromium(kernels, BROWSER_CASES, SEED);
  console.log(chromiumLine(tally, (performance.now() - start) / 1000, SEED));
  tallies.push(tally);
} else {
  console.log(`browser loader (Chromium) skipped: ${INSTALL_HINT}`);
}
const bad = tallies.flatMap((t) => t.reports);
for (const r of bad.slice(0, 50)) console.log(`  ${r}`);
console.log(
  `${tallies.reduce((s, t) => s + t.cases, 0)} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s (seed ${SEED}; limits ${CASE_TIME_LIMIT_MS} ms and ${CASE_MEMORY_LIMIT_BYTES >> 20} MB per case): ${bad.length === 0 ? 'no faults' : `${bad.length} faults`}`,
);
process.exitCode = bad.length === 0 ? 0 : 1;
