// Timing: warm a function up until V8 runs its optimized code, then time it repeatedly
// within a budget and summarise with the median (robust to the other tenants of a
// shared machine) and the interquartile spread.
//
// Why warm-up is measured rather than a fixed count: V8 runs wasm first in Liftoff and
// JS first in its interpreter, and tiers up in the background after an unknown amount
// of work; a cold call ran 5x slower than a warm one here. We run batches until two
// consecutive batches agree, with floors (calls, time) so one lucky pair of cold
// batches does not end it, and a ceiling because a loaded machine may never settle.
//
// Each sample also records the process's CPU time: on a shared machine a call can be
// descheduled midway, which inflates wall time but not CPU time, so the CPU-time median
// estimates what an idle machine would show (other tenants' cache traffic still counts).
//
// No Node or DOM import: the browser benchmark page (web/bench*.ts) times with these
// rules too. There the process CPU clock does not exist and cpuMs is NaN.

export interface WarmupOptions {
  /** Never stop before this many calls ... */
  minCalls: number;
  /** ... or before this much time. */
  minMs: number;
  /** Stop after this long even if batches still disagree (reported as not converged). */
  maxMs: number;
  /** Two consecutive batch medians agree when they differ by at most this fraction. */
  tolerance: number;
  /** A batch repeats calls until it has lasted this long (at least one call). */
  batchMs: number;
}

export interface WarmupResult {
  calls: number;
  ms: number;
  /** True when two consecutive batches agreed within the tolerance. */
  converged: boolean;
  /** Median per-call time of the last batch. */
  lastCallMs: number;
}

export interface MeasureOptions {
  /** null: the caller has already warmed this code (e.g. on smaller inputs). */
  warmup: WarmupOptions | null;
  /** Keep taking samples until this much time has been spent on them ... */
  budgetMs: number;
  /** ... and at least this many samples exist (a slow case may take only these). */
  minSamples: number;
  maxSamples: number;
  /**
   * Calls faster than this are grouped so one sample lasts about this long: the
   * timer's resolution and the loop's overhead then stay negligible.
   */
  minSampleMs: number;
  /**
   * Per-call times of calls the caller already made on warm code (e.g. the call that
   * produced the reference output for a correctness check): they count as samples and
   * against the budget, so a very slow case is not run twice.
   */
  priorSamples?: readonly Sample[];
}

/** Per-call milliseconds: wall clock and this process's CPU time (user + system). */
export interface Sample {
  ms: number;
  cpuMs: number;
}

export interface Measurement {
  /** Median milliseconds per call (wall clock). */
  medianMs: number;
  /** Median CPU milliseconds per call. */
  cpuMs: number;
  minMs: number;
  maxMs: number;
  /** Interquartile range over the median (0 with fewer than 4 samples). */
  spread: number;
  samples: number;
  callsPerSample: number;
  warmup: WarmupResult | null;
}

export const now = (): number => performance.now();

interface CpuUsage {
  user: number;
  system: number;
}
/** Node's process where it exists (typed here: this file compiles without Node's types too). */
const proc = (globalThis as { process?: { cpuUsage?: (since?: CpuUsage) => CpuUsage } }).process;

/** Starts a CPU clock: the returned function gives this process's CPU milliseconds (user + system) since, NaN without such a clock. */
function cpuClock(): () => number {
  if (!proc?.cpuUsage) return () => Number.NaN;
  const from = proc.cpuUsage();
  return () => {
    const c = proc.cpuUsage!(from);
    return (c.user + c.system) / 1000;
  };
}

/**
 * The warm-up rule, fed one batch of per-call times at a time: returns the result once two
 * consecutive batch medians agree past the floors, or the ceiling is reached; else null.
 */
function warmupJudge(o: WarmupOptions): (times: number[]) => WarmupResult | null {
  const start = now();
  let calls = 0;
  let previous = Number.NaN;
  return (times) => {
    calls += times.length;
    const median = quantile(sorted(times), 0.5);
    const ms = now() - start;
    const agree = Math.abs(median - previous) <= o.tolerance * Math.min(median, previous);
    previous = median;
    if (agree && calls >= o.minCalls && ms >= o.minMs) return { calls, ms, converged: true, lastCallMs: median };
    if (ms >= o.maxMs) return { calls, ms, converged: false, lastCallMs: median };
    return null;
  };
}

/** Runs `fn` in batches until its speed settles (see WarmupOptions). */
export function warmUp(fn: () => void, o: WarmupOptions): WarmupResult {
  const judge = warmupJudge(o);
  for (;;) {
    const times: number[] = [];
    const batchStart = now();
    do {
      const t = now();
      fn();
      times.push(now() - t);
    } while (now() - batchStart < o.batchMs);
    const done = judge(times);
    if (done) return done;
  }
}

/** Times `calls` back-to-back calls of `fn`; returns the per-call sample. */
export function timeCalls(fn: () => void, calls = 1): Sample {
  const cpu = cpuClock();
  const t = now();
  for (let i = 0; i < calls; i++) fn();
  const ms = now() - t;
  return { ms: ms / calls, cpuMs: cpu() / calls };
}

/** Warms `fn` up (unless told not to) and times it; see MeasureOptions. */
export function measure(fn: () => void, o: MeasureOptions): Measurement {
  const warmup = o.warmup ? warmUp(fn, o.warmup) : null;
  const samples: Sample[] = [...(o.priorSamples ?? [])];
  // Estimate one call's time to choose the grouping: from the warm-up, the prior
  // calls, or failing both, one call (which then counts as a sample).
  if (!warmup && samples.length === 0) samples.push(timeCalls(fn));
  const callMs = warmup?.lastCallMs ?? Math.min(...samples.map((x) => x.ms));
  const callsPerSample = callMs >= o.minSampleMs ? 1 : Math.min(1000, Math.ceil(o.minSampleMs / Math.max(callMs, 1e-3)));
  let spent = samples.reduce((sum, x) => sum + x.ms, 0);
  while (samples.length < o.maxSamples && (samples.length < o.minSamples || spent < o.budgetMs)) {
    const x = timeCalls(fn, callsPerSample);
    samples.push(x);
    spent += x.ms * callsPerSample;
  }
  return summarizeSamples(samples, callsPerSample, warmup);
}

function summarizeSamples(samples: readonly Sample[], callsPerSample: number, warmup: WarmupResult | null): Measurement {
  const s = sorted(samples.map((x) => x.ms));
  const medianMs = quantile(s, 0.5);
  const cpuMs = quantile(sorted(samples.map((x) => x.cpuMs)), 0.5);
  const spread = s.length >= 4 ? (quantile(s, 0.75) - quantile(s, 0.25)) / medianMs : 0;
  return { medianMs, cpuMs, minMs: s[0]!, maxMs: s[s.length - 1]!, spread, samples: s.length, callsPerSample, warmup };
}

/** Times `calls` back-to-back awaited calls of `fn`; the per-call sample. */
async function timeCallsAsync(fn: () => Promise<unknown>, calls: number): Promise<Sample> {
  const cpu = cpuClock();
  const t = now();
  for (let i = 0; i < calls; i++) await fn();
  const ms = now() - t;
  return { ms: ms / calls, cpuMs: cpu() / calls };
}

/**
 * measure() for a call that completes through a promise (ONNX Runtime's session.run): the
 * same warm-up rule (batches of calls until two agree, within floors and a ceiling) and the
 * same sampling, each call awaited before the next.
 */
export async function measureAsync(fn: () => Promise<unknown>, o: MeasureOptions): Promise<Measurement> {
  let warmup: WarmupResult | null = null;
  if (o.warmup) {
    const judge = warmupJudge(o.warmup);
    while (!warmup) {
      const times: number[] = [];
      const batchStart = now();
      do times.push((await timeCallsAsync(fn, 1)).ms);
      while (now() - batchStart < o.warmup.batchMs);
      warmup = judge(times);
    }
  }
  const samples: Sample[] = warmup ? [] : [await timeCallsAsync(fn, 1)];
  const callMs = warmup?.lastCallMs ?? samples[0]!.ms;
  const callsPerSample = callMs >= o.minSampleMs ? 1 : Math.min(1000, Math.ceil(o.minSampleMs / Math.max(callMs, 1e-3)));
  let spent = samples.reduce((sum, x) => sum + x.ms, 0);
  while (samples.length < o.maxSamples && (samples.length < o.minSamples || spent < o.budgetMs)) {
    const x = await timeCallsAsync(fn, callsPerSample);
    samples.push(x);
    spent += x.ms * callsPerSample;
  }
  return summarizeSamples(samples, callsPerSample, warmup);
}

function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** Linear-interpolated quantile of an ascending, non-empty array. */
export function quantile(ascending: readonly number[], q: number): number {
  const pos = (ascending.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return ascending[lo]! + (ascending[hi]! - ascending[lo]!) * (pos - lo);
}
