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
import { quantile } from './lib/timing.js';
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

/** Issue 17, item 4: training at batch 32, 2 threads over 1 (the within-round speed-up, median over rounds). */
const SMALL_BATCH = 32;
const SMALL_BATCH_NEEDS: readonly [model: string, need: number][] = [['dense', 1.3], ['deep', 1.5], ['conv', 1.5], ['vae', 1.5]];

function smallBatchBar(models: ModelRecord[] | null, model: string, need: number): Bar {
  const two = models?.find((r) => r.suite === 'train' && r.model === model && r.batch === SMALL_BATCH && r.build === THREADS_BUILD && r.threads === 2 && r.speedup);
  const bar = { what: `${model} training, batch ${SMALL_BATCH}, 2 threads vs 1`, need: `≥ ${times(need)}` };
  if (!two) return { ...bar, measured: 'not measured', met: null, elsewhere: '—' };
  return { ...bar, measured: `${times(two.speedup!)} (${times(two.speedup_min!)}–${times(two.speedup_max!)})`, met: two.speedup! >= need, elsewhere: elsewhere([two]) };
}

/** The issues' bars, 2 threads vs 1 (medians over rounds): whatever this run measured of them. */
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
    ...SMALL_BATCH_NEEDS.map(([model, need]) => smallBatchBar(models, model, need)),
  ];
}

export const barStatus = (b: Bar): string => (b.met === null ? '—' : b.met ? 'met' : '**not met**');

/** The `threads` section of bench/README.md: the bars and how they were measured. */
export function barsSection(bars: Bar[], command: string, machine: MachineInfo, handOff: HandOff | null = null): string {
  return [
    '## Threads: the multi-core bars',
    '',
    `Issue "multi-core": with 2 kernel threads (\`${THREADS_BUILD}\`), sgemm 1024³ at least 1.8× one thread, and training at batch 256 ` +
      'at least 100,000 samples/s (dense AE) and 12,000 samples/s (conv denoiser); issue 17: at batch 32, 2 threads at least 1.3× one ' +
      'on the dense AE and 1.5× on the others (the speed-up within each round, from the training table\'s ×2 column). Every figure is a median over interleaved rounds of ' +
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
    ...(handOff
      ? [
          '',
          `The pool's hand-off (\`ThreadedKernels.emptyJob\`: post a job, a worker claims and reports its empty share, join), median: ` +
            `${handOff.warm_us.toFixed(2)} µs back to back (the worker spinning), ${handOff.cold_us.toFixed(0)} µs after 2 ms of quiet ` +
            '(the worker asleep on its futex: the wake-up is the operating system\'s and the hypervisor\'s).',
        ]
      : []),
  ].join('\n');
}

// ---- the pool's hand-off --------------------------------------------------------------

/** An empty job's round trip (post, a worker claims and reports its share, join), in µs. */
export interface HandOff {
  /** Jobs back to back: the worker is spinning when each is posted. */
  warm_us: number;
  /** Each job after 2 ms of quiet: the worker has gone to sleep on the futex. */
  cold_us: number;
}

/** Medians of ThreadedKernels.emptyJob on 2 threads, warm and cold (issue 17, item 4). */
export async function measureHandOff(): Promise<HandOff> {
  const kernels = (await retry(() => createKernels({ build: THREADS_BUILD, threads: 2 }))) as Kernels & { emptyJob(): void; dispose(): void };
  try {
    const median = (v: number[]) => quantile(v.sort((a, b) => a - b), 0.5);
    const time = () => {
      const t0 = performance.now();
      kernels.emptyJob();
      return (performance.now() - t0) * 1000;
    };
    for (let i = 0; i < 2000; i++) kernels.emptyJob();
    const warm = Array.from({ length: 5000 }, time);
    const cold: number[] = [];
    for (let i = 0; i < 200; i++) {
      await new Promise((r) => setTimeout(r, 2));
      cold.push(time());
    }
    return { warm_us: median(warm), cold_us: median(cold) };
  } finally {
    kernels.dispose();
  }
}
