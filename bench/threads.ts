// The threads comparison shared by the kernel and model suites (issue "multi-core"):
// the thread counts timed, the threads build at each count, and the performance bars
// the results are held against.

import { RELAXED_THREADS_BUILD } from '../src/kernels/builds.js';
import { chooseBuildFile, createKernels, defaultThreads } from '../src/kernels/node.js';
import type { Kernels } from '../src/kernels/kernels.js';
import { createSharedMemory, THREADS_MAXIMUM_PAGES } from '../src/kernels/threads/memory.js';
import { createWasmKernels } from '../src/kernels/wasm.js';
import type { KernelThreadRecord } from './kernel-report.js';
import { machineLine, type MachineInfo } from './lib/machine.js';
import { markdownTable } from './lib/markdown.js';
import { retry } from './lib/retry.js';
import type { ModelRecord } from './model-cases.js';

/** The build timed at every thread count. */
export const THREADS_BUILD = RELAXED_THREADS_BUILD;

/** 1, 2, ... every core; past 4 cores only powers of two and the core count, to bound the run time. */
export function threadCounts(cores = defaultThreads()): number[] {
  const all = Array.from({ length: cores }, (_, i) => i + 1);
  return cores <= 4 ? all : all.filter((t) => (t & (t - 1)) === 0 || t === cores);
}

export interface ThreadKernels {
  threads: number;
  kernels: Kernels;
  /** Ends the pool's workers (nothing to do at 1 thread). */
  dispose(): void;
}

/**
 * THREADS_BUILD at `threads`. At 1, createKernels cannot load it (it hands the build the
 * shared memory it imports only when it starts workers), so we instantiate it on such a
 * memory ourselves: the same code and memory as the pool's calling thread, no workers.
 */
async function load(threads: number): Promise<ThreadKernels> {
  if (threads === 1) {
    const { file, bytes } = await chooseBuildFile({ build: THREADS_BUILD }, true);
    const kernels = await createWasmKernels(bytes, file, { memory: createSharedMemory(), maximumPages: THREADS_MAXIMUM_PAGES });
    return { threads, kernels, dispose: () => {} };
  }
  const kernels = await createKernels({ build: THREADS_BUILD, threads });
  const pool = kernels as Kernels & { threads?: number; dispose?: () => void };
  if (pool.threads !== threads) throw new Error(`asked for ${threads} kernel threads, got ${pool.threads ?? 1}`);
  return { threads, kernels, dispose: () => pool.dispose?.() };
}

/** THREADS_BUILD at every count of threadCounts(), each load retried (build/ may be mid-rebuild). */
export async function loadThreadKernels(): Promise<ThreadKernels[]> {
  const out: ThreadKernels[] = [];
  try {
    for (const t of threadCounts()) out.push(await retry(() => load(t)));
  } catch (err) {
    out.forEach((kernels) => kernels.dispose());
    throw err;
  }
  return out;
}

// ---- the bars -------------------------------------------------------------------------

export interface Bar {
  what: string;
  need: string;
  /** The median over rounds, with the rounds' min-max. */
  measured: string;
  /** null: not measured in this run. */
  met: boolean | null;
  /** CPUs other processes and the hypervisor (steal) kept busy while it was measured (the most of its cases). */
  elsewhere: string;
}

type Busy = { other_cpus?: number; steal_cpus?: number };
const elsewhere = (rs: Busy[]): string =>
  rs.length && rs.every((r) => r.other_cpus !== undefined)
    ? `${Math.max(...rs.map((r) => r.other_cpus!)).toFixed(2)}, ${Math.max(...rs.map((r) => r.steal_cpus ?? 0)).toFixed(2)}`
    : '—';

const rate = (x: number): string => Math.round(x).toLocaleString('en-US');
const times = (x: number): string => `${x.toFixed(2)}×`;

function trainingBar(models: ModelRecord[] | null, model: string, what: string, need: number): Bar {
  const at = (threads: number) =>
    models?.find((r) => r.suite === 'train' && r.model === model && r.batch === 256 && r.build === THREADS_BUILD && r.threads === threads && r.samples_per_sec);
  const two = at(2);
  const one = at(1);
  const bar = { what, need: `≥ ${rate(need)} samples/s` };
  if (!two) return { ...bar, measured: 'not measured', met: null, elsewhere: '—' };
  const range = `${rate((two.batch * 1000) / two.latency_ms_max!)}–${rate((two.batch * 1000) / two.latency_ms_min!)}`;
  const vsOne = one && two.speedup ? `; 1 thread ${rate(one.samples_per_sec!)}, ${times(two.speedup)}` : '';
  return { ...bar, measured: `${rate(two.samples_per_sec!)} (${range}${vsOne})`, met: two.samples_per_sec! >= need, elsewhere: elsewhere([two]) };
}

/** The bars, 2 threads vs 1 (medians over rounds): whatever this run measured of them. */
export function threadBars(kernels: KernelThreadRecord[] | null, models: ModelRecord[] | null): Bar[] {
  const need = 1.8;
  const big = (kernels ?? []).filter((r) => r.kernel === 'sgemm' && r.threads === 2 && r.speedup !== undefined && (r.shape as number[]).every((d) => d === 1024));
  const sgemm: Bar = {
    what: 'sgemm 1024³ (each of NN, TN, NT), 2 threads vs 1',
    need: `≥ ${times(need)}`,
    measured: big.length ? big.map((r) => `${r.variant} ${times(r.speedup!)} (${times(r.speedup_min!)}–${times(r.speedup_max!)})`).join(', ') : 'not measured',
    met: big.length ? big.every((r) => r.speedup! >= need) : null,
    elsewhere: elsewhere(big),
  };
  return [
    sgemm,
    trainingBar(models, 'dense', 'dense AE training, batch 256, 2 threads', 100_000),
    trainingBar(models, 'conv', 'conv denoiser training, batch 256, 2 threads', 12_000),
  ];
}

export const barStatus = (b: Bar): string => (b.met === null ? '—' : b.met ? 'met' : '**not met**');

/** The `threads` section of bench/README.md: the bars and how they were measured. */
export function barsSection(bars: Bar[], command: string, machine: MachineInfo): string {
  return [
    '## Threads: the multi-core bars',
    '',
    `Issue "multi-core": with 2 kernel threads (\`${THREADS_BUILD}\`), sgemm 1024³ at least 1.8× one thread, and training at batch 256 ` +
      'at least 100,000 samples/s (dense AE) and 12,000 samples/s (conv denoiser). Every figure is a median over interleaved rounds of ' +
      '1 and 2 threads (min–max over rounds in brackets), because the second vCPU of this shared host is at times not really there ' +
      '(PERF-NOTES.md). The kernel figures come from the kernel suite\'s threads table, the training figures from the training table. ' +
      'The last column (the most over the bar\'s cases, from /proc/stat) says whether the run had the machine to itself: near 1 on this ' +
      '2-vCPU machine, the second thread had no core of its own and a miss says nothing about the code.',
    '',
    `Command: \`${command}\`. Machine: ${machineLine(machine)}.`,
    '',
    markdownTable(
      ['bar', 'needed', 'measured: median (min–max over rounds)', 'status', 'CPUs busy elsewhere: other processes, steal'],
      bars.map((b) => [b.what, b.need, b.measured, barStatus(b), b.elsewhere]),
      ['left', 'right', 'right', 'left', 'right'],
    ),
  ].join('\n');
}
