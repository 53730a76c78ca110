// The kernel suite: GFLOP/s of sgemm and conv2d on the WASM build and the JS baseline.
// Run alone by bench/kernels.ts (`npm run bench:kernels`) and as the first suite of
// bench/index.ts (`npm run bench`); both write the same records and README section.

import { fileURLToPath } from 'node:url';
import { BASELINE_BUILD } from '../src/kernels/builds.js';
import { createKernels } from '../src/kernels/node.js';
import type { Kernels } from '../src/kernels/kernels.js';
import { agreement } from './lib/check.js';
import { addBusy, busyElsewhere, cpuSnapshot, machineInfo, machineLine, type MachineInfo } from './lib/machine.js';
import { updateMarkedSection } from './lib/markdown.js';
import { writeResults } from './lib/results.js';
import { retry } from './lib/retry.js';
import { measureRounds, mergeRounds, summarize, type RoundOptions } from './lib/rounds.js';
import { measure, now, timeCalls, warmUp, type MeasureOptions } from './lib/timing.js';
import { convCases, denoiserStepCase, sgemmCases, warmupCases, type KernelCase, type ThreadCase } from './kernel-cases.js';
import {
  gflops, readmeSection, threadsSection, toRecord, toThreadRecords,
  type AnyKernelRecord, type CaseResult, type KernelRecord, type ThreadCaseResult,
  baselineSection,
} from './kernel-report.js';
import { loadThreadKernels, THREADS_BUILD } from './threads.js';

const README = fileURLToPath(new URL('./README.md', import.meta.url));

/**
 * Outputs may differ by summation order only: float32 error grows like sqrt(terms) eps
 * times the sums' size, about 1e-5 of the largest output here, while a wrong tap or
 * a stale tile shows up at 1e-3 or more.
 */
const CHECK_RTOL = 2e-4;
/** Rows of C the JS baseline computes to check a WASM sgemm it is too slow to run whole. */
const CHECK_ROWS = 48;

interface Settings {
  wasm: MeasureOptions;
  /** JS has no per-case warm-up: its kernels were warmed on small inputs and a call is long. */
  js: MeasureOptions;
  /** Cases above this many FLOPs are not timed on JS (they would take seconds per call). */
  jsMaxFlops: number;
  /** Time spent warming each kernel on small inputs before the first case. */
  kernelWarmupMs: number;
  /** The threads comparison: interleaved rounds of every thread count, per pass over the cases. */
  threads: RoundOptions & { passes: number };
}

const FULL: Settings = {
  wasm: {
    warmup: { minCalls: 5, minMs: 150, maxMs: 1000, tolerance: 0.1, batchMs: 60 },
    budgetMs: 800, minSamples: 7, maxSamples: 400, minSampleMs: 2,
  },
  js: { warmup: null, budgetMs: 1200, minSamples: 1, maxSamples: 5, minSampleMs: 2 },
  jsMaxFlops: Infinity,
  kernelWarmupMs: 250,
  threads: {
    warmup: { minCalls: 5, minMs: 150, maxMs: 1000, tolerance: 0.1, batchMs: 60 },
    passes: 3, rounds: 3, roundMs: 150, minSamples: 3, minSampleMs: 2,
  },
};

const QUICK: Settings = {
  wasm: {
    warmup: { minCalls: 3, minMs: 40, maxMs: 300, tolerance: 0.1, batchMs: 20 },
    budgetMs: 200, minSamples: 5, maxSamples: 100, minSampleMs: 2,
  },
  js: { warmup: null, budgetMs: 300, minSamples: 1, maxSamples: 3, minSampleMs: 2 },
  jsMaxFlops: 1e9,
  kernelWarmupMs: 100,
  threads: {
    warmup: { minCalls: 3, minMs: 40, maxMs: 300, tolerance: 0.1, batchMs: 20 },
    passes: 2, rounds: 2, roundMs: 40, minSamples: 2, minSampleMs: 2,
  },
};

/** Gets V8 to its optimizing tier on every code path the cases use (cin 1, cout 1, transposes). */
function warmKernels(kernels: Kernels, ms: number): void {
  for (const c of warmupCases()) {
    const p = c.prepare(kernels);
    warmUp(p.run, { minCalls: 10, minMs: ms, maxMs: 4 * ms, tolerance: 0.1, batchMs: ms / 5 });
    p.free();
  }
}

function runCase(c: KernelCase, wasm: Kernels, js: Kernels, s: Settings): CaseResult {
  // The reference first: JS on the same seeded inputs (only the first rows of a huge sgemm).
  const timeJs = c.flops <= s.jsMaxFlops;
  const pj = c.prepare(js, timeJs ? undefined : CHECK_ROWS);
  const pw = c.prepare(wasm);
  try {
    const jsFirst = timeCalls(pj.run);
    const ref = pj.result();
    pw.run();
    const check = agreement(ref, pw.result().subarray(0, ref.length), CHECK_RTOL);
    if (!check.ok) return { c, check };
    const w = measure(pw.run, s.wasm);
    // The reference call ran warm code, so it is JS's first sample.
    const j = timeJs ? measure(pj.run, { ...s.js, priorSamples: [jsFirst] }) : undefined;
    return { c, check, wasm: w, ...(j ? { js: j } : {}) };
  } finally {
    pw.free();
    pj.free();
  }
}

/** A case on another WASM build: checked against JS (first rows of a huge sgemm), then timed; JS not timed. */
function runCaseWasmOnly(c: KernelCase, wasm: Kernels, js: Kernels, s: Settings): CaseResult {
  const pj = c.prepare(js, c.kernel === 'sgemm' && c.flops > s.jsMaxFlops ? CHECK_ROWS : undefined);
  const pw = c.prepare(wasm);
  try {
    pj.run();
    const ref = pj.result();
    pw.run();
    const check = agreement(ref, pw.result().subarray(0, ref.length), CHECK_RTOL);
    if (!check.ok) return { c, check };
    return { c, check, wasm: measure(pw.run, s.wasm) };
  } finally {
    pw.free();
    pj.free();
  }
}

function logLine(r: CaseResult): string {
  const name = `${r.c.name} ${r.c.dims}`.padEnd(52);
  if (!r.check.ok) {
    return `${name} CHECK FAILED: max |wasm - js| = ${r.check.maxAbsDiff.toExponential(2)} vs max |js| = ${r.check.scale.toExponential(2)}`;
  }
  const g = (m: CaseResult['js']) => (m ? gflops(r.c.flops, m.medianMs).toFixed(2).padStart(7) : '      —');
  const w = r.wasm!;
  const warm = w.warmup ? `${w.warmup.calls} warm-up calls${w.warmup.converged ? '' : ' (unsettled)'}` : '';
  return (
    `${name} wasm ${g(w)} GFLOP/s ${w.medianMs.toFixed(3).padStart(8)} ms ±${Math.round(w.spread * 100)}% ` +
    `(CPU ${gflops(r.c.flops, w.cpuMs).toFixed(1)}) ` +
    `(${w.samples}×${w.callsPerSample}, ${warm}) | js ${g(r.js)} GFLOP/s (${r.js?.samples ?? 0}) | diff ${r.check.relative.toExponential(1)}`
  );
}

/**
 * Times each case on THREADS_BUILD at every thread count in interleaved rounds, in
 * passes over all cases (bench/lib/rounds.ts), after checking every count's output
 * against the single-thread build `reference`: a wrong split (a share computed twice
 * or not at all) is never timed.
 */
async function runThreadCases(cases: ThreadCase[], reference: Kernels, s: Settings): Promise<ThreadCaseResult[]> {
  const pools = await loadThreadKernels();
  const threads = pools.map((p) => p.threads);
  const results: ThreadCaseResult[] = [];
  try {
    for (let pass = 0; pass < s.threads.passes; pass++) {
      for (const [i, c] of cases.entries()) {
        if (results[i] && !results[i].check.ok) continue;
        const ps = pools.map((p) => c.prepare(p.kernels));
        try {
          if (!results[i]) {
            const ref = c.prepare(reference);
            ref.run();
            const want = ref.result();
            ref.free();
            const checks = ps.map((p) => (p.run(), agreement(want, p.result(), CHECK_RTOL)));
            results[i] = { c, threads, check: checks.reduce((a, b) => (!b.ok || b.relative > a.relative ? b : a)) };
          }
          const r = results[i];
          if (r.check.ok) {
            const before = cpuSnapshot();
            // Later passes: the code is warm, the uncounted first round is enough.
            r.rounds = mergeRounds(r.rounds, measureRounds(ps.map((p) => p.run), { ...s.threads, warmup: pass === 0 ? s.threads.warmup : null }));
            r.elsewhere = addBusy(r.elsewhere, busyElsewhere(before, cpuSnapshot()));
          }
          if (pass === s.threads.passes - 1 || !r.check.ok) console.log(threadLogLine(r));
        } finally {
          ps.forEach((p) => p.free());
        }
      }
    }
  } finally {
    // The workers would end with the process; ending them now keeps them out of later suites.
    pools.forEach((p) => p.dispose());
  }
  return results;
}

function threadLogLine(r: ThreadCaseResult): string {
  const name = `${r.c.name} ${r.c.dims}`.padEnd(52);
  if (!r.rounds) return `${name} THREADS CHECK FAILED: relative difference ${r.check.relative.toExponential(2)} from the single-thread build`;
  const per = r.rounds.map((x, i) => `${r.threads[i]}t ${gflops(r.c.flops, summarize(x.ms).median).toFixed(1)}`).join(' | ');
  const ups = r.rounds.slice(1).map((x) => x.ms.map((ms, k) => (r.rounds![0]!.ms[k]! / ms).toFixed(2)).join(' '));
  const busy = r.elsewhere ? ` | elsewhere ${r.elsewhere.others.toFixed(2)} CPUs, steal ${r.elsewhere.steal.toFixed(2)}` : '';
  return `${name} GFLOP/s ${per} | speed-up per round: ${ups.join(' / ')}${busy} | diff ${r.check.relative.toExponential(1)}`;
}

export interface KernelSuiteOptions {
  quick: boolean;
  /** Just the cases whose name contains this text; nothing is written. */
  only?: string;
  /** Just the threads comparison; nothing is written. */
  threadsOnly?: boolean;
  /** The command line shown in the README section and the meta file. */
  command: string;
  /** The run's machine header (taken at the start of the whole run). */
  machine?: MachineInfo;
}

export interface KernelSuiteResult {
  results: CaseResult[];
  threadResults: ThreadCaseResult[];
  records: AnyKernelRecord[];
  /** Cases whose WASM output disagreed with JS, or a thread count's with one thread (they were not timed). */
  failed: (CaseResult | ThreadCaseResult)[];
  totalSeconds: number;
  /** bench/results/<name>.json holds the records (kernels or kernels-quick). */
  resultsName: string;
}

/**
 * Runs the kernel cases and writes bench/results/kernels.json (kernels-quick.json with
 * `quick`) and, on a full run, the kernels section of bench/README.md.
 */
export async function runKernelSuite(o: KernelSuiteOptions): Promise<KernelSuiteResult> {
  const start = now();
  const s = o.quick ? QUICK : FULL;
  const machine = o.machine ?? machineInfo();
  console.log(`kernel benchmark (${o.quick ? 'quick' : 'full'}): ${machineLine(machine)}`);

  const wasm = await retry(() => createKernels({ backend: 'wasm' }));
  const js = await createKernels({ backend: 'js' });
  const pick = <C extends { name: string }>(all: C[]) => (o.only ? all.filter((c) => c.name.includes(o.only!)) : all);
  const cases = o.threadsOnly ? [] : pick([...sgemmCases(), ...convCases()]);
  // The threads comparison: sgemm and the denoiser step, WASM only (JS has one thread).
  const threadCases = pick<ThreadCase>([...sgemmCases(), denoiserStepCase()]);
  if (cases.length + threadCases.length === 0) throw new Error(`no case name contains "${o.only}"`);

  const results: CaseResult[] = [];
  if (cases.length > 0) {
    warmKernels(wasm, s.kernelWarmupMs);
    warmKernels(js, s.kernelWarmupMs);
    console.log(`kernels warmed up in ${((now() - start) / 1000).toFixed(1)} s`);
    for (const c of cases) {
      const r = runCase(c, wasm, js, s);
      results.push(r);
      console.log(logLine(r));
    }
  }

  // The baseline SIMD build too, when the main build is the relaxed one (WASM only).
  const baseline: CaseResult[] = [];
  if (cases.length > 0 && wasm.build !== BASELINE_BUILD) {
    const base = await retry(() => createKernels({ backend: 'wasm', build: BASELINE_BUILD }));
    warmKernels(base, s.kernelWarmupMs);
    for (const c of cases) {
      const r = runCaseWasmOnly(c, base, js, s);
      baseline.push(r);
      console.log(`[${BASELINE_BUILD}] ` + logLine(r));
    }
  }

  let threadResults: ThreadCaseResult[] = [];
  if (threadCases.length > 0) {
    const t0 = now();
    console.log(`threads: ${threadCases.length} cases on ${THREADS_BUILD}, ${s.threads.passes} passes of ${s.threads.rounds} interleaved rounds per thread count`);
    try {
      threadResults = await runThreadCases(threadCases, wasm, s);
    } catch (err) {
      // No threads build (or no SharedArrayBuffer): the single-thread part still stands.
      console.warn(`threads: not timed: ${(err as Error).message}`);
    }
    console.log(`threads: ${((now() - t0) / 1000).toFixed(1)} s`);
  }

  const totalSeconds = (now() - start) / 1000;
  const failed = [...results, ...baseline, ...threadResults].filter((r) => !r.check.ok);
  const threadRecords = threadResults.flatMap(toThreadRecords);
  const records: AnyKernelRecord[] = [
    ...results.flatMap((r) => [toRecord(r, 'wasm', wasm.build), toRecord(r, 'js', js.build)]).filter((x): x is KernelRecord => x !== null),
    ...baseline.map((r) => toRecord(r, 'wasm', BASELINE_BUILD)).filter((x): x is KernelRecord => x !== null),
    ...threadRecords,
  ];
  const name = o.quick ? 'kernels-quick' : 'kernels';
  const threads = threadResults.length > 0 ? threadsSection(threadResults, threadRecords, s.threads.passes) : undefined;
  const base = baseline.length > 0 ? baselineSection(baseline, results, BASELINE_BUILD) : undefined;
  const section = o.threadsOnly ? threads ?? '' : readmeSection(results, { machine, command: o.command, wasmBuild: wasm.build, totalSeconds, resultsName: name }, [base, threads].filter((x) => x).join('\n\n') || undefined);
  console.log('\n' + section + '\n');
  if (o.only || o.threadsOnly) {
    console.log('--only / --threads-only: nothing written');
  } else {
    console.log(`wrote ${await writeResults(name, records)}`);
    console.log(`wrote ${await writeResults(name + '.meta', { machine, command: o.command, totalSeconds: Math.round(totalSeconds) })}`);
    // The README keeps the full run's numbers; a quick run is only a check.
    if (!o.quick) {
      await updateMarkedSection(README, 'kernels', section);
      console.log(`updated the kernels section of ${README}`);
    }
  }
  console.log(`kernel suite: ${totalSeconds.toFixed(1)} s`);
  if (failed.length > 0) {
    console.error(`${failed.length} case(s) failed the WASM vs JS (or threads vs one thread) check and were not timed: ${failed.map((r) => r.c.name).join(', ')}`);
  }
  return { results, threadResults, records, failed, totalSeconds, resultsName: name };
}
