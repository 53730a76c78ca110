// Issue 17, item 4: training steps at a small batch on 1 and 2 kernel threads, paired.
//   node --experimental-wasm-relaxed-simd --import tsx scripts/small-batch-threads.mts [presets] [batch] [rounds]
// Both counts run in one process on kernels-relaxed-threads.wasm (1: a plain instance of
// the threads build, 2: the pool), in interleaved rounds (1, 2, 2, 1, ...) of 30 steps
// each after a warm-up; a round's figure is its median step, and the speed-up is taken
// within each round. Beside each preset: how many CPUs other processes and the hypervisor
// (steal) kept busy, and the machine's own two-core factor (two busy-loop workers at once
// against one: 2.00 when the second vCPU is a core of its own). This host's second vCPU
// comes and goes (PERF-NOTES.md); a figure taken while the factor is far below 2 says
// nothing about the code; nor does one taken while a cache line's round trip between the
// two cores (last column) is far above its usual figure (the vCPUs then sit far apart).
// The SIMD factor is the same test with sgemm on private instances (no shared memory):
// two cores' worth of vector units when it is near 2.00.
import { RELAXED_THREADS_BUILD } from '../src/kernels/builds.js';
import { createKernels } from '../src/kernels/node.js';
import { loadSplits } from '../src/data/load.js';
import { subset } from '../src/data/dataset.js';
import { modelCase, type ModelPreset } from '../bench/model-cases.js';
import { ourTrainSubject, type TrainSubject } from '../bench/model-ours.js';
import { busyElsewhere, cpuSnapshot } from '../bench/lib/machine.js';
import { pingPongNs, simdFactor, twoCoreFactor } from '../bench/lib/host-probes.js';

const presets = (process.argv[2] ?? 'dense,deep,conv,vae').split(',') as ModelPreset[];
const batch = Number(process.argv[3] ?? 32);
const rounds = Number(process.argv[4] ?? 9);
const STEPS = 30;

const median = (v: number[]) => v.slice().sort((a, b) => a - b)[v.length >> 1]!;
function time(s: TrainSubject): number {
  const ts: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    s.step();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

const splits = await loadSplits();
const train = subset(splits.train, 0, 4096);
const one = await createKernels({ threads: 1, build: RELAXED_THREADS_BUILD });
const two = (await createKernels({ threads: 2, build: RELAXED_THREADS_BUILD })) as Awaited<ReturnType<typeof createKernels>> & { dispose(): void };
console.log(`batch ${batch}, ${rounds} interleaved rounds of ${STEPS} steps; ${RELAXED_THREADS_BUILD}`);
console.log('preset  1 thread µs  2 threads µs  2 vs 1: median (min–max)  busy elsewhere: others, steal  two-core factor  SIMD factor  line round trip ns');
for (const preset of presets) {
  const factor = await twoCoreFactor();
  const simd = await simdFactor();
  const pingPong = await pingPongNs();
  const mc = modelCase(preset);
  const s1 = ourTrainSubject(one, mc, batch, train), s2 = ourTrainSubject(two, mc, batch, train);
  for (let i = 0; i < 50; i++) (s1.step(), s2.step());
  const t1: number[] = [], t2: number[] = [], ratio: number[] = [];
  const before = cpuSnapshot();
  for (let r = 0; r < rounds; r++) {
    const [a, b] = r % 2 === 0 ? [time(s1), time(s2)] : [time(s2), time(s1)].reverse();
    t1.push(a!);
    t2.push(b!);
    ratio.push(a! / b!);
  }
  const busy = busyElsewhere(before, cpuSnapshot());
  const us = (ms: number) => (ms * 1000).toFixed(0);
  console.log(
    `${preset.padEnd(7)} ${us(median(t1)).padStart(11)} ${us(median(t2)).padStart(13)}  ${median(ratio).toFixed(2)}× (${Math.min(...ratio).toFixed(2)}–${Math.max(...ratio).toFixed(2)})`.padEnd(64) +
      `  ${busy ? `${busy.others.toFixed(2)}, ${busy.steal.toFixed(2)}` : '—'}`.padEnd(34) + `  ${factor.toFixed(2)}`.padEnd(17) + `  ${simd.toFixed(2)}`.padEnd(13) + `  ${pingPong.toFixed(0)}`,
  );
  s1.dispose();
  s2.dispose();
}
two.dispose();
