// `npm run bench -- --quick --check`: compares this run's speed ratios with the committed
// results and fails when a WASM/JS ratio dropped by more than a third. Ratios, not
// absolute figures, because the machine is shared: a busy neighbour slows both sides.
//
// Compared:
//   kernels:   WASM GFLOP/s / JS GFLOP/s per case (same build)             -> can fail
//   models:    ae-wasm / ae-wasm-js samples/s per suite, model, batch, build -> can fail
//              ae-wasm / each peer (tfjs-cpu, tfjs-wasm, pytorch)            -> reported only
//   threads:   speed-up of N threads over 1 (kernels and models)            -> reported only:
//              the host's second vCPU is at times not really there (PERF-NOTES.md), so a
//              drop may be the machine's, not the code's
// A ratio fails only when it dropped by more than a third by wall time and also by
// CPU time (where both sides have it), so a call descheduled by another tenant does
// not fail the check on its own.
//
// The baseline is each file as committed (`git show HEAD:bench/results/<name>.json`),
// or the file on disk when git does not have it; it is read before the run writes.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RESULTS_DIR } from './lib/results.js';
import { isThreadRecord, type AnyKernelRecord, type KernelRecord } from './kernel-report.js';
import type { ModelRecord, RuntimeName } from './model-cases.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
/** A ratio fails when it falls below this fraction of the committed one. */
export const KEEP = 2 / 3;

export interface Baseline {
  kernels: AnyKernelRecord[] | null;
  models: ModelRecord[] | null;
  /** Where each file came from. */
  sources: string[];
}

function readCommitted(name: string, sources: string[]): unknown[] | null {
  const rel = `bench/results/${name}.json`;
  try {
    const text = execFileSync('git', ['show', `HEAD:${rel}`], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    sources.push(`${rel} (git HEAD)`);
    return JSON.parse(text) as unknown[];
  } catch {
    // Not committed (or no git): the file on disk.
  }
  try {
    const records = JSON.parse(readFileSync(RESULTS_DIR + name + '.json', 'utf8')) as unknown[];
    sources.push(`${rel} (working tree, not committed)`);
    return records;
  } catch {
    sources.push(`${rel}: none`);
    return null;
  }
}

/** The full run's records, as committed. */
export function loadBaseline(): Baseline {
  const sources: string[] = [];
  const kernels = readCommitted('kernels', sources) as AnyKernelRecord[] | null;
  const train = readCommitted('train', sources) as ModelRecord[] | null;
  const infer = readCommitted('infer', sources) as ModelRecord[] | null;
  const models = train || infer ? [...(train ?? []), ...(infer ?? [])] : null;
  return { kernels, models, sources };
}

interface Ratio {
  key: string;
  wall: number;
  /** Ratio by CPU time, when both sides measured it. */
  cpu?: number;
  /** Whether a drop fails the check. */
  gating: boolean;
  /** Kernel ratios: the WASM build timed. */
  build?: string;
}

/**
 * Kernel ratios are keyed by case and WASM build (the suite times the default build and,
 * beside a relaxed default, the baseline SIMD build), each against the same case on JS.
 */
function kernelRatios(all: AnyKernelRecord[]): Map<string, Ratio> {
  const out = new Map<string, Ratio>();
  const caseKey = (r: AnyKernelRecord) => `kernel ${r.kernel} ${r.variant}${'layer' in r && r.layer ? ` ${r.layer}` : ''} ${JSON.stringify(r.shape)}`;
  const records = all.filter((r): r is KernelRecord => !isThreadRecord(r));
  for (const w of records.filter((r) => r.backend === 'wasm')) {
    const j = records.find((r) => r.backend === 'js' && caseKey(r) === caseKey(w));
    if (!j || !(j.gflops > 0)) continue;
    const key = `${caseKey(w)} ${w.build} wasm/js`;
    out.set(key, { key, wall: w.gflops / j.gflops, cpu: j.cpu_ms / w.cpu_ms, gating: true, build: w.build });
  }
  for (const t of all.filter(isThreadRecord)) {
    if (t.speedup === undefined) continue;
    const key = `${caseKey(t)} ${t.build} ×${t.threads}/×1`;
    out.set(key, { key, wall: t.speedup, gating: false });
  }
  return out;
}

function modelRatios(records: ModelRecord[]): Map<string, Ratio> {
  const out = new Map<string, Ratio>();
  const ok = (r: ModelRecord) => !!r.samples_per_sec && !r.error && !r.skipped;
  // The threads comparison's records: only their speed-up over 1 thread, reported.
  for (const t of records.filter((r) => r.speedup !== undefined && ok(r))) {
    const key = `${t.suite} ${t.model} b${t.batch} ae-wasm ${t.build} ×${t.threads}/×1`;
    out.set(key, { key, wall: t.speedup!, gating: false });
  }
  for (const w of records.filter((r) => r.runtime === 'ae-wasm' && r.rounds === undefined && ok(r))) {
    const others = records.filter((r) => r.runtime !== 'ae-wasm' && ok(r) && r.suite === w.suite && r.model === w.model && r.batch === w.batch);
    for (const o of others) {
      const key = `${w.suite} ${w.model} b${w.batch} ae-wasm ${w.build}/${o.runtime}`;
      const gating = o.runtime === ('ae-wasm-js' satisfies RuntimeName);
      const cpu = w.cpu_ms && o.cpu_ms ? o.cpu_ms / w.cpu_ms : undefined;
      out.set(key, { key, wall: w.samples_per_sec! / o.samples_per_sec!, ...(cpu !== undefined ? { cpu } : {}), gating });
    }
  }
  return out;
}

export interface CheckResult {
  lines: string[];
  failures: string[];
  warnings: string[];
  compared: number;
}

export function compareWithBaseline(base: Baseline, current: { kernels: AnyKernelRecord[] | null; models: ModelRecord[] }): CheckResult {
  const pairs: [Map<string, Ratio>, Map<string, Ratio>][] = [];
  if (base.kernels && current.kernels) pairs.push([kernelRatios(base.kernels), kernelRatios(current.kernels)]);
  if (base.models) pairs.push([modelRatios(base.models), modelRatios(current.models)]);
  const lines: string[] = [];
  const failures: string[] = [];
  const warnings: string[] = [];
  let compared = 0;
  for (const [was, now] of pairs) {
    for (const [key, b] of was) {
      const c = now.get(key);
      if (!c) continue;
      compared++;
      const change = c.wall / b.wall - 1;
      const droppedWall = c.wall < KEEP * b.wall;
      const droppedCpu = b.cpu === undefined || c.cpu === undefined || c.cpu < KEEP * b.cpu;
      const dropped = droppedWall && droppedCpu;
      const cpuText = b.cpu !== undefined && c.cpu !== undefined ? `, by CPU time ${b.cpu.toFixed(2)} → ${c.cpu.toFixed(2)}` : '';
      const builds = b.build && c.build && b.build !== c.build ? ` [${b.build} → ${c.build}]` : '';
      const line = `${key}${builds}: ${b.wall.toFixed(2)} → ${c.wall.toFixed(2)} (${change >= 0 ? '+' : ''}${Math.round(change * 100)}%${cpuText})`;
      const status = dropped ? (b.gating ? 'FAIL' : 'warn') : droppedWall ? 'noisy' : 'ok';
      lines.push(`${status.padEnd(5)} ${line}`);
      if (dropped && b.gating) failures.push(line);
      else if (dropped) warnings.push(line);
    }
  }
  return { lines, failures, warnings, compared };
}
