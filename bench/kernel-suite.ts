// The kernel suite: GFLOP/s of sgemm and conv2d on the WASM build and the JS baseline.
// Run alone by bench/kernels.ts (`npm run bench:kernels`) and as the first suite of
// bench/index.ts (`npm run bench`); both write the same records and README section.

import { fileURLToPath } from 'node:url';
import { createKernels } from '../src/kernels/node.js';
import type { Kernels } from '../src/kernels/kernels.js';
import { agreement } from './lib/check.js';
import { machineInfo, machineLine, type MachineInfo } from './lib/machine.js';
import { updateMarkedSection } from './lib/markdown.js';
import { writeResults } from './lib/results.js';
import { measure, now, timeCalls, warmUp, type MeasureOptions } from './lib/timing.js';
import { convCases, sgemmCases, warmupCases, type KernelCase } from './kernel-cases.js';
import { gflops, readmeSection, toRecord, type CaseResult, type KernelRecord } from './kernel-report.js';

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
}

const FULL: Settings = {
  wasm: {
    warmup: { minCalls: 5, minMs: 150, maxMs: 1000, tolerance: 0.1, batchMs: 60 },
    budgetMs: 800, minSamples: 7, maxSamples: 400, minSampleMs: 2,
  },
  js: { warmup: null, budgetMs: 1200, minSamples: 1, maxSamples: 5, minSampleMs: 2 },
  jsMaxFlops: Infinity,
  kernelWarmupMs: 250,
};

const QUICK: Settings = {
  wasm: {
    warmup: { minCalls: 3, minMs: 40, maxMs: 300, tolerance: 0.1, batchMs: 20 },
    budgetMs: 200, minSamples: 5, maxSamples: 100, minSampleMs: 2,
  },
  js: { warmup: null, budgetMs: 300, minSamples: 1, maxSamples: 3, minSampleMs: 2 },
  jsMaxFlops: 1e9,
  kernelWarmupMs: 100,
};

/** Gets V8 to its optimizing tier on every code path the cases use (cin 1, cout 1, transposes). */
function warmKernels(k: Kernels, ms: number): void {
  for (const c of warmupCases()) {
    const p = c.prepare(k);
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

/** build/ may be mid-rebuild (another engineer's `npm run build:wasm`): try again a few times. */
async function retry<T>(f: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await f();
    } catch (err) {
      if (i >= attempts) throw err;
      console.warn(`${(err as Error).message}; retrying in 3 s`);
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
}

export interface KernelSuiteOptions {
  quick: boolean;
  /** Just the cases whose name contains this text; nothing is written. */
  only?: string;
  /** The command line shown in the README section and the meta file. */
  command: string;
  /** The run's machine header (taken at the start of the whole run). */
  machine?: MachineInfo;
}

export interface KernelSuiteResult {
  results: CaseResult[];
  records: KernelRecord[];
  /** Cases whose WASM output disagreed with JS (they were not timed). */
  failed: CaseResult[];
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
  const all = [...sgemmCases(), ...convCases()];
  const cases = o.only ? all.filter((c) => c.name.includes(o.only!)) : all;
  if (cases.length === 0) throw new Error(`no case name contains "${o.only}"`);

  warmKernels(wasm, s.kernelWarmupMs);
  warmKernels(js, s.kernelWarmupMs);
  console.log(`kernels warmed up in ${((now() - start) / 1000).toFixed(1)} s`);

  const results: CaseResult[] = [];
  for (const c of cases) {
    const r = runCase(c, wasm, js, s);
    results.push(r);
    console.log(logLine(r));
  }

  const totalSeconds = (now() - start) / 1000;
  const failed = results.filter((r) => !r.check.ok);
  const records = results.flatMap((r) => [toRecord(r, 'wasm', wasm.build), toRecord(r, 'js', js.build)]).filter((x): x is KernelRecord => x !== null);
  const name = o.quick ? 'kernels-quick' : 'kernels';
  const section = readmeSection(results, { machine, command: o.command, wasmBuild: wasm.build, totalSeconds, resultsName: name });
  console.log('\n' + section + '\n');
  if (o.only) {
    console.log('--only: nothing written');
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
    console.error(`${failed.length} case(s) failed the WASM vs JS check and were not timed: ${failed.map((r) => r.c.name).join(', ')}`);
  }
  return { results, records, failed, totalSeconds, resultsName: name };
}
