// Turns the kernel benchmark's measurements into the records of
// bench/results/kernels.json and the kernels section of bench/README.md.

import type { Agreement } from './lib/check.js';
import { machineLine, type Busy, type MachineInfo } from './lib/machine.js';
import { markdownTable } from './lib/markdown.js';
import { speedup, summarize, type RoundsResult } from './lib/rounds.js';
import type { Measurement } from './lib/timing.js';
import { DENOISER_BATCH, type ConvShape, type KernelCase, type SgemmShape, type ThreadCase } from './kernel-cases.js';
import { barStatus, threadBars, THREADS_BUILD } from './threads.js';

/** f32x4 mul + add with 10 accumulators, one thread (PERF-NOTES.md): the non-relaxed SIMD peak. */
export const SIMD_PEAK_GFLOPS = 48;
/** f32x4.relaxed_madd with 12 accumulators, one thread (PERF-NOTES.md): the relaxed build's peak. */
export const RELAXED_PEAK_GFLOPS = 58;

/** The peak a build is measured against, and how it was reached. */
export function simdPeak(build: string): { gflops: number; what: string } {
  return build.includes('relaxed')
    ? { gflops: RELAXED_PEAK_GFLOPS, what: 'f32x4.relaxed_madd' }
    : { gflops: SIMD_PEAK_GFLOPS, what: 'f32x4 mul + add' };
}

export interface CaseResult {
  c: KernelCase;
  check: Agreement;
  /** Absent when the check failed: a wrong kernel is never timed. */
  wasm?: Measurement;
  /** Absent when the check failed or the JS baseline was skipped as too slow (--quick). */
  js?: Measurement;
}

export interface KernelRecord {
  kernel: KernelCase['kernel'];
  variant: KernelCase['variant'];
  layer?: string;
  call: KernelCase['call'];
  build: string;
  threads: number;
  backend: 'wasm' | 'js';
  shape: SgemmShape | ConvShape;
  gflops: number;
  /** Median milliseconds per call (wall clock). */
  ms: number;
  /** Median CPU milliseconds per call: less sensitive to other tenants than `ms`. */
  cpu_ms: number;
  samples: number;
  /** Interquartile range over the median. */
  spread: number;
}

export const gflops = (flops: number, ms: number): number => flops / ms / 1e6;

const round = (x: number, digits: number): number => Number(x.toPrecision(digits));

export function toRecord(r: CaseResult, backend: 'wasm' | 'js', build: string): KernelRecord | null {
  const m = r[backend];
  if (!m) return null;
  const { kernel, variant, layer, call, shape } = r.c;
  return {
    kernel, variant, ...(layer ? { layer } : {}), call, build, threads: 1, backend, shape,
    gflops: round(gflops(r.c.flops, m.medianMs), 4),
    ms: round(m.medianMs, 4),
    cpu_ms: round(m.cpuMs, 4),
    samples: m.samples,
    spread: round(m.spread, 2),
  };
}

/** The passes one training step of the denoiser runs, summed; null if any is missing. */
export function denoiserStep(results: CaseResult[], backend: 'wasm' | 'js'): { ms: number; cpuMs: number; flops: number } | null {
  const passes = results.filter((r) => r.c.kernel === 'conv2d' && r.c.inTrainingStep);
  if (passes.length === 0 || passes.some((r) => !r[backend])) return null;
  const sum = (f: (r: CaseResult) => number) => passes.reduce((s, r) => s + f(r), 0);
  return { ms: sum((r) => r[backend]!.medianMs), cpuMs: sum((r) => r[backend]!.cpuMs), flops: sum((r) => r.c.flops) };
}

const fmt = (x: number, d = 1): string => x.toFixed(d);

function row(name: string, shape: string, flops: number, w: Measurement | undefined, j: Measurement | undefined, peak: number, note = ''): string[] {
  const wg = w ? gflops(flops, w.medianMs) : NaN;
  const jg = j ? gflops(flops, j.medianMs) : NaN;
  return [
    name + note,
    shape,
    fmt(flops / 1e6, 0),
    w ? w.medianMs.toPrecision(3) + (w.samples > 0 ? ` ±${Math.round(w.spread * 100)}%` : '') : '—',
    w ? fmt(wg) : '—',
    j ? fmt(jg, 2) : '—',
    w && j ? `${fmt(wg / jg, 0)}×` : '—',
    w ? `${Math.round((100 * wg) / peak)}%` : '—',
    w ? fmt(gflops(flops, w.cpuMs)) : '—',
  ];
}

export interface RunInfo {
  machine: MachineInfo;
  command: string;
  wasmBuild: string;
  totalSeconds: number;
  /** The records' file in bench/results/, without .json. */
  resultsName: string;
}

/** The body of the `kernels` section of bench/README.md. */
export function readmeSection(results: CaseResult[], info: RunInfo, threads?: string): string {
  const peak = simdPeak(info.wasmBuild);
  const header = ['case', 'shape', 'MFLOP', 'WASM ms (IQR)', 'WASM GFLOP/s', 'JS GFLOP/s', 'WASM/JS', `WASM % of ${peak.gflops}`, 'WASM GFLOP/s by CPU time'];
  const align = ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'] as const;
  const rows = results.map((r) => {
    const note = !r.check.ok ? ' **FAILED CHECK**' : r.c.inTrainingStep === false ? ' (not in step)' : '';
    return row(r.c.name, r.c.dims, r.c.flops, r.wasm, r.js, peak.gflops, note);
  });
  const ws = denoiserStep(results, 'wasm');
  const js = denoiserStep(results, 'js');
  const asMeasurement = (s: { ms: number; cpuMs: number } | null): Measurement | undefined =>
    s ? { medianMs: s.ms, cpuMs: s.cpuMs, minMs: s.ms, maxMs: s.ms, spread: 0, samples: 0, callsPerSample: 1, warmup: null } : undefined;
  if (ws) rows.push(row('**denoiser step** (14 passes)', `n=${DENOISER_BATCH}`, ws.flops, asMeasurement(ws), asMeasurement(js), peak.gflops));
  const perSecond = (ms: number | undefined) => (ms ? Math.round((DENOISER_BATCH * 1000) / ms).toLocaleString('en-US') : '—');
  const stepLine = ws
    ? `Denoiser training step, convolutions only (forward of all 5 layers, filter gradients of all 5, ` +
      `input gradients of layers 2-5), batch ${DENOISER_BATCH}: WASM ${fmt(ws.ms)} ms = ${perSecond(ws.ms)} samples/s ` +
      `(by CPU time ${perSecond(ws.cpuMs)}); JS ${js ? fmt(js.ms, 0) : '—'} ms = ${perSecond(js?.ms)} samples/s.`
    : '';
  return [
    '## Kernels',
    '',
    `GFLOP/s on one thread of sgemm and of every conv2d pass of the TF-tutorial denoiser, on the WASM ` +
      `build \`${info.wasmBuild}\` and on the plain-TypeScript baseline (\`js\`): medians after warm-up, ` +
      `each case checked WASM against JS before it is timed. FLOPs are 2·M·N·K and ` +
      `2·n·oh·ow·cout·kh·kw·cin of the underlying conv (T = Conv2DTranspose, described by its own input). ` +
      `Peak: ${peak.gflops} GFLOP/s, ${peak.what} (PERF-NOTES.md). The JS baseline runs few calls ` +
      `per case (a time budget); the machine is shared, so compare ratios within one run. The last ` +
      `column divides by CPU time instead of wall time: a call descheduled by other tenants inflates only the latter.`,
    '',
    `Command: \`${info.command}\` (${fmt(info.totalSeconds, 0)} s). Records: \`bench/results/${info.resultsName}.json\`.`,
    '',
    `Machine: ${machineLine(info.machine)}.`,
    '',
    markdownTable(header, rows, align),
    '',
    stepLine,
    ...(threads ? ['', threads] : []),
  ].join('\n');
}

/** The baseline SIMD build beside the main (relaxed) one: GFLOP/s, share of its 48 GFLOP/s peak, ratio. */
export function baselineSection(baseline: CaseResult[], main: CaseResult[], build: string): string {
  const peak = simdPeak(build);
  const header = ['case', 'shape', `\`${build}\` GFLOP/s`, `% of ${peak.gflops}`, 'by CPU time', 'relaxed / baseline'];
  const rows = baseline.map((r, i) => {
    const m = main[i]?.wasm;
    const g = r.wasm ? gflops(r.c.flops, r.wasm.medianMs) : NaN;
    return [
      r.c.name + (!r.check.ok ? ' **FAILED CHECK**' : ''),
      r.c.dims,
      r.wasm ? fmt(g) : '—',
      r.wasm ? `${Math.round((100 * g) / peak.gflops)}%` : '—',
      r.wasm ? fmt(gflops(r.c.flops, r.wasm.cpuMs)) : '—',
      r.wasm && m ? `${(r.wasm.medianMs / m.medianMs).toFixed(2)}×` : '—',
    ];
  });
  const step = (rs: CaseResult[]) => denoiserStep(rs, 'wasm');
  const b = step(baseline);
  const m = step(main);
  if (b) rows.push(['**denoiser step** (14 passes)', `n=${DENOISER_BATCH}`, fmt(gflops(b.flops, b.ms)), `${Math.round((100 * gflops(b.flops, b.ms)) / peak.gflops)}%`, fmt(gflops(b.flops, b.cpuMs)), m ? `${(b.ms / m.ms).toFixed(2)}×` : '—']);
  return [
    '### Kernels: the baseline SIMD build',
    '',
    `The same cases on \`${build}\` (mul + add, no relaxed SIMD: the build \`--deterministic\` uses and engines without relaxed SIMD get), one thread, checked against the JS baseline before timing. Peak: ${peak.gflops} GFLOP/s, ${peak.what}.`,
    '',
    markdownTable(header, rows, ['left', 'left', 'right', 'right', 'right', 'right']),
  ].join('\n');
}

// ---- threads ---------------------------------------------------------------------------

/** A case timed on THREADS_BUILD at every thread count, in interleaved rounds. */
export interface ThreadCaseResult {
  c: ThreadCase;
  /** Every count's output against the single-thread build's (the worst of them). */
  check: Agreement;
  threads: number[];
  /** Per thread count; absent when the check failed. */
  rounds?: RoundsResult[];
  /** CPUs other processes and the hypervisor (steal) kept busy meanwhile, on average. */
  elsewhere?: Busy | null;
}

/** One thread count of a ThreadCaseResult: a line of kernels.json next to the KernelRecords. */
export interface KernelThreadRecord {
  kernel: ThreadCase['kernel'];
  /** NN, TN, NT, or "step" (the denoiser step's conv passes). */
  variant: string;
  build: string;
  threads: number;
  backend: 'wasm';
  shape: ThreadCase['shape'];
  /** Median over rounds of each round's median; min-max over rounds. */
  gflops: number;
  gflops_min: number;
  gflops_max: number;
  ms: number;
  /** CPU milliseconds of the whole process per call (workers included, spinning too). */
  cpu_ms: number;
  rounds: number;
  calls: number;
  /** Threads > 1: per-round time at 1 thread over time at this count; median, min, max. */
  speedup?: number;
  speedup_min?: number;
  speedup_max?: number;
  /** CPUs other processes and the hypervisor kept busy during the case's rounds (Linux). */
  other_cpus?: number;
  steal_cpus?: number;
}

export type AnyKernelRecord = KernelRecord | KernelThreadRecord;
export const isThreadRecord = (r: AnyKernelRecord): r is KernelThreadRecord => 'rounds' in r;

export function toThreadRecords(r: ThreadCaseResult): KernelThreadRecord[] {
  if (!r.rounds) return [];
  const { kernel, variant, shape, flops } = r.c;
  return r.rounds.map((x, i) => {
    const ms = summarize(x.ms);
    const up = i > 0 ? speedup(r.rounds![0]!, x) : null;
    return {
      kernel, variant, build: THREADS_BUILD, threads: r.threads[i]!, backend: 'wasm', shape,
      gflops: round(gflops(flops, ms.median), 4),
      gflops_min: round(gflops(flops, ms.max), 4),
      gflops_max: round(gflops(flops, ms.min), 4),
      ms: round(ms.median, 4),
      cpu_ms: round(summarize(x.cpuMs).median, 4),
      rounds: x.ms.length,
      calls: x.calls,
      ...(up ? { speedup: round(up.median, 3), speedup_min: round(up.min, 3), speedup_max: round(up.max, 3) } : {}),
      ...(r.elsewhere ? { other_cpus: round(r.elsewhere.others, 2), steal_cpus: round(r.elsewhere.steal, 2) } : {}),
    };
  });
}

/** The "Kernels: threads" part of the kernels section. */
export function threadsSection(results: ThreadCaseResult[], records: KernelThreadRecord[], passes: number): string {
  const counts = results[0]?.threads ?? [];
  const more = counts.slice(1);
  const at = (r: ThreadCaseResult, t: number) =>
    records.find((x) => x.threads === t && x.variant === r.c.variant && JSON.stringify(x.shape) === JSON.stringify(r.c.shape));
  const header = [
    'case', 'shape', 'MFLOP', ...counts.map((t) => `GFLOP/s, ${t} thread${t > 1 ? 's' : ''}`), ...more.map((t) => `${t} threads vs 1: median (min–max)`),
    'CPUs busy elsewhere: other processes, steal',
  ];
  const rows = results.map((r) => {
    const name = r.c.kernel === 'sgemm' ? r.c.name : `**${r.c.name}**`;
    if (!r.rounds) return [`${name} **FAILED CHECK**`, r.c.dims, fmt(r.c.flops / 1e6, 0), ...counts.map(() => '—'), ...more.map(() => '—'), '—'];
    return [
      name, r.c.dims, fmt(r.c.flops / 1e6, 0),
      ...counts.map((t) => fmt(at(r, t)!.gflops)),
      ...more.map((t) => {
        const x = at(r, t)!;
        return `${x.speedup!.toFixed(2)}× (${x.speedup_min!.toFixed(2)}–${x.speedup_max!.toFixed(2)})`;
      }),
      r.elsewhere ? `${r.elsewhere.others.toFixed(2)}, ${r.elsewhere.steal.toFixed(2)}` : '—',
    ];
  });
  const step = results.find((r) => r.c.variant === 'step' && r.rounds);
  const stepLine = step
    ? `Denoiser step convolutions, batch ${DENOISER_BATCH}: ` +
      counts.map((t) => `${t} thread${t > 1 ? 's' : ''} ${Math.round((DENOISER_BATCH * 1000) / at(step, t)!.ms).toLocaleString('en-US')} samples/s`).join(', ') + '.'
    : '';
  const bar = threadBars(records, null)[0]!;
  const rounds = records[0]?.rounds ?? 0;
  return [
    '### Kernels: threads',
    '',
    `The sgemm cases and the denoiser step's convolutions (the 14 passes above, back to back, as one call) on \`${THREADS_BUILD}\` ` +
      `at ${counts.join(', ')} thread${counts.length > 1 ? 's' : ''} (1: one instance on a shared memory, no workers; more: the kernel thread pool), ` +
      'each count\'s output checked against the single-thread build\'s first. The host at times seems to run both vCPUs on one core, ' +
      `so the counts are timed in ${rounds} interleaved rounds (1, 2, 2, 1, ...; a few calls each, after warm-up), taken in ${passes} passes over the cases ` +
      `(each pass begins with an uncounted round) to spread them over the suite: GFLOP/s is the median ` +
      'over rounds of each round\'s median, the speed-up is taken within each round (median and min–max over rounds). ' +
      'The last column tells whether the threads had the machine: the CPUs that other processes kept busy and that the hypervisor ' +
      'took (steal) during the case, on average (/proc/stat); with 2 vCPUs, anything near 1 leaves the second thread no core of its own.',
    '',
    markdownTable(header, rows, header.map((_, i) => (i < 2 ? 'left' : 'right'))),
    '',
    ...(stepLine ? [stepLine, ''] : []),
    `Bar: ${bar.what} ${bar.need}: ${barStatus(bar)} (${bar.measured}).`,
  ].join('\n');
}
