// Interleaved rounds, for comparing thread counts on a shared host. Its second vCPU is
// at times not really there (PERF-NOTES.md: both vCPUs seemingly placed on one core; or
// another process on this machine takes it). Timing 1 thread for a while and then 2
// threads would let such a period hit one side only, so the subjects are timed in short
// rounds taken in turn (1 2, 2 1, 1 2, ...; the order alternates so neither side always
// runs right after the other) and a speed-up is taken within each round, between
// neighbours in time. Each figure is then the median over rounds, with the min-max as
// its spread.
//
// Such a period can last seconds (sgemm NT 1024³: 7 of 9 consecutive rounds at 1.3x,
// then 1.9x again), longer than one case's rounds. So the suites take a case's rounds in
// a few passes over all their cases (mergeRounds), which spreads them over the whole
// suite: one such period then costs a case a round or two, not its median.
//
// A first round is run and not counted: right after the warm-ups, the subject warmed
// first still ran slower in it (1 thread, dense training at batch 256: 5.3 and 4.6 ms
// against 3.3-3.4 ms in later rounds). Why is not established: V8 re-optimizing the JS
// both subjects share once it has seen the other's objects, or caches refilled from the
// other subject's memory.

import { collectGarbage } from './heap-check.js';
import { now, quantile, timeCalls, warmUp, type Sample, type WarmupOptions, type WarmupResult } from './timing.js';

export interface RoundOptions {
  /** null: the code is warm already (a later pass); the uncounted first round still runs. */
  warmup: WarmupOptions | null;
  rounds: number;
  /** Each subject's share of a round: samples are taken until this long ... */
  roundMs: number;
  /** ... and at least this many exist. */
  minSamples: number;
  /** Calls faster than this are grouped so one sample lasts about this long. */
  minSampleMs: number;
}

/** One subject's timings over the rounds. */
export interface RoundsResult {
  /** Per round: median wall and CPU milliseconds per call (CPU time of the whole process, workers included). */
  ms: number[];
  cpuMs: number[];
  /** Calls timed over all rounds. */
  calls: number;
  /** The warm-up of the first pass. */
  warmup: WarmupResult | null;
}

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Interquartile range over the median (0 with fewer than 4 values). */
  spread: number;
}

const ascending = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

export function summarize(xs: readonly number[]): Summary {
  const s = ascending(xs);
  const median = quantile(s, 0.5);
  const spread = s.length >= 4 ? (quantile(s, 0.75) - quantile(s, 0.25)) / median : 0;
  return { median, min: s[0]!, max: s[s.length - 1]!, spread };
}

/** Per-round speed-up of `x` over `base` (time ratios of the same round), summarised. */
export function speedup(base: RoundsResult, x: RoundsResult): Summary {
  return summarize(base.ms.map((b, r) => b / x.ms[r]!));
}

/** Warms every subject up, then times them in interleaved rounds (see the file comment). */
export function measureRounds(fns: readonly (() => void)[], o: RoundOptions): RoundsResult[] {
  const warm = fns.map((fn) => (o.warmup ? warmUp(fn, o.warmup) : null));
  collectGarbage();
  // Calls per sample, from the warm-up's last call or, in a later pass, from one call.
  const callMs = fns.map((fn, i) => warm[i]?.lastCallMs ?? timeCalls(fn).ms);
  const grouping = callMs.map((ms) => (ms >= o.minSampleMs ? 1 : Math.min(1000, Math.ceil(o.minSampleMs / Math.max(ms, 1e-3)))));
  const out: RoundsResult[] = warm.map((w) => ({ ms: [], cpuMs: [], calls: 0, warmup: w }));
  for (let r = -1; r < o.rounds; r++) {
    const order = fns.map((_, i) => (r % 2 === 0 ? i : fns.length - 1 - i));
    for (const i of order) {
      const samples: Sample[] = [];
      const start = now();
      while (samples.length < o.minSamples || now() - start < o.roundMs) samples.push(timeCalls(fns[i]!, grouping[i]));
      if (r < 0) continue;
      out[i]!.ms.push(quantile(ascending(samples.map((x) => x.ms)), 0.5));
      out[i]!.cpuMs.push(quantile(ascending(samples.map((x) => x.cpuMs)), 0.5));
      out[i]!.calls += samples.length * grouping[i]!;
    }
  }
  return out;
}

/** The rounds of two passes over the same subjects, as one result. */
export function mergeRounds(a: RoundsResult[] | undefined, b: RoundsResult[]): RoundsResult[] {
  if (!a) return b;
  return a.map((x, i) => ({ ms: [...x.ms, ...b[i]!.ms], cpuMs: [...x.cpuMs, ...b[i]!.cpuMs], calls: x.calls + b[i]!.calls, warmup: x.warmup }));
}
