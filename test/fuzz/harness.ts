// One fuzz case judged: accepted, rejected with an AeError (the only acceptable failure),
// a crash (any other error), a hang (over the time limit) or an over-allocation (memory
// grew past the cap during the case).
import fc from 'fast-check';
import { AeError } from '../../src/errors.js';
import { applyMutation, type Mutation } from './mutations.js';
import type { Target } from './targets.js';

export const CASE_TIME_LIMIT_MS = 2000;
export const CASE_MEMORY_LIMIT_BYTES = 256 << 20;

export type Verdict = 'accepted' | 'rejected' | 'crash' | 'hang' | 'overallocation';

export interface Outcome {
  verdict: Verdict;
  ms: number;
  grewBytes: number;
  error?: unknown;
}

/** Counts of one target's verdicts, and a line for each fault. */
export interface Tally {
  name: string;
  cases: number;
  accepted: number;
  rejected: number;
  crash: number;
  hang: number;
  overallocation: number;
  reports: string[];
}

export interface FuzzCase {
  seed: number;
  mutation: Mutation;
}

/** Runs `target` on its seed `c.seed` mutated by `c.mutation`. */
export async function runCase(target: Target, c: FuzzCase): Promise<Outcome> {
  const seed = target.seeds[c.seed % target.seeds.length]!;
  const bytes = applyMutation(seed.bytes, c.mutation, target.seeds.map((s) => s.bytes));
  const before = memory();
  const t0 = performance.now();
  let error: unknown;
  try {
    await target.run(bytes, seed);
  } catch (err) {
    error = err;
  }
  const ms = performance.now() - t0;
  const grewBytes = memory() - before;
  const verdict: Verdict =
    ms > CASE_TIME_LIMIT_MS ? 'hang'
    : grewBytes > CASE_MEMORY_LIMIT_BYTES ? 'overallocation'
    : error === undefined ? 'accepted'
    : error instanceof AeError ? 'rejected'
    : 'crash';
  return { verdict, ms, grewBytes, error };
}

/** Resident memory plus ArrayBuffers (WASM memory counts in rss; typed arrays may live outside it until touched). */
function memory(): number {
  const m = process.memoryUsage();
  return Math.max(m.rss, m.arrayBuffers);
}

/** The cases of one target: a seed index and a mutation, reproducible from `seed`. */
export function fuzzCase(target: Target): fc.Arbitrary<FuzzCase> {
  return fc.record({ seed: fc.nat({ max: target.seeds.length - 1 }), mutation: target.mutation });
}

export function describeOutcome(target: Target, c: FuzzCase, o: Outcome): string {
  const what = o.error instanceof Error ? `${o.error.name}: ${o.error.message.slice(0, 300)}` : String(o.error);
  return `${target.name} ${o.verdict} (${o.ms.toFixed(0)} ms, +${(o.grewBytes / 2 ** 20).toFixed(0)} MB) on ${target.seeds[c.seed % target.seeds.length]!.name} with ${JSON.stringify(c.mutation).slice(0, 300)}: ${what}`;
}
