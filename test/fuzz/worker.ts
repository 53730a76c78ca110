// Runs one target's cases in a worker thread, announcing each case before it starts so
// the parent can tell a hang (no answer) from a slow case, and kill and resume past it.
import fc from 'fast-check';
import { parentPort, workerData } from 'node:worker_threads';
import { wasmKernels } from '../helpers.js';
import { describeOutcome, fuzzCase, runCase } from './harness.js';
import { targets } from './targets.js';

export interface WorkerJob {
  target: number;
  cases: number;
  seed: number;
  /** First case to run (a restart after a hang skips past it). */
  start: number;
}

export type WorkerMessage =
  | { type: 'start'; name: string; index: number; description: string }
  | { type: 'result'; index: number; verdict: string; report?: string }
  | { type: 'done' };

const job = workerData as WorkerJob;
const port = parentPort!;
const target = (await targets(await wasmKernels()))[job.target]!;
const cases = fc.sample(fuzzCase(target), { numRuns: job.cases, seed: job.seed });
for (let i = job.start; i < cases.length; i++) {
  const c = cases[i]!;
  port.postMessage({ type: 'start', name: target.name, index: i, description: JSON.stringify(c).slice(0, 300) } satisfies WorkerMessage);
  const outcome = await runCase(target, c);
  const bad = outcome.verdict !== 'accepted' && outcome.verdict !== 'rejected';
  port.postMessage({ type: 'result', index: i, verdict: outcome.verdict, ...(bad ? { report: describeOutcome(target, c, outcome) } : {}) } satisfies WorkerMessage);
}
port.postMessage({ type: 'done' } satisfies WorkerMessage);
