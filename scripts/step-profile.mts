// Where a training step's time goes, kernel by kernel, on 1 and 2 kernel threads:
//   npx tsx scripts/step-profile.mts [preset] [batch] [steps]
// Wraps every kernel method of the instance with a timer (performance.now per call, so
// figures include about 0.1 us of wrapper each), runs `steps` steps after a warm-up, and
// prints each kernel's total per step on both thread counts, sorted by the 1-thread time.
import { RELAXED_THREADS_BUILD } from '../src/kernels/builds.js';
import { createKernels } from '../src/kernels/node.js';
import { KERNEL_NAMES } from '../src/kernels/abi.js';
import { loadSplits } from '../src/data/load.js';
import { subset } from '../src/data/dataset.js';
import { modelCase } from '../bench/model-cases.js';
import { ourTrainSubject } from '../bench/model-ours.js';

const preset = process.argv[2] ?? 'dense';
const batch = Number(process.argv[3] ?? 32);
const steps = Number(process.argv[4] ?? 400);
const s = await loadSplits();
const train = subset(s.train, 0, 4096);
const mc = modelCase(preset as never);

const result: Record<number, Map<string, { ms: number; calls: number }>> = {};
for (const threads of [1, 2]) {
  const kernels = await createKernels({ threads, build: RELAXED_THREADS_BUILD });
  const table = new Map<string, { ms: number; calls: number }>();
  let on = false;
  const k = kernels as unknown as Record<string, (...a: number[]) => unknown>;
  for (const name of KERNEL_NAMES) {
    const fn = k[name]!;
    const rec = { ms: 0, calls: 0 };
    table.set(name, rec);
    k[name] = (...a: number[]) => {
      if (!on) return fn(...a);
      const t0 = performance.now();
      const r = fn(...a);
      rec.ms += performance.now() - t0;
      rec.calls++;
      return r;
    };
  }
  const subj = ourTrainSubject(kernels, mc, batch, train);
  for (let i = 0; i < 200; i++) subj.step();
  on = true;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) subj.step();
  const total = performance.now() - t0;
  on = false;
  table.set('(step)', { ms: total, calls: steps });
  result[threads] = table;
  subj.dispose();
  (kernels as { dispose?: () => void }).dispose?.();
}
const rows = [...result[1]!.entries()].filter(([, r]) => r.calls > 0).sort((a, b) => b[1].ms - a[1].ms);
console.log(`${preset} batch ${batch}, ${steps} steps; us per step (calls per step)`);
console.log('kernel'.padEnd(28), '1 thread'.padStart(10), '2 threads'.padStart(10), 'ratio'.padStart(7));
for (const [name, r1] of rows) {
  const r2 = result[2]!.get(name)!;
  const a = (r1.ms * 1000) / steps, b = (r2.ms * 1000) / steps;
  console.log(`${name.padEnd(28)} ${a.toFixed(1).padStart(10)} ${b.toFixed(1).padStart(10)} ${(a / b).toFixed(2).padStart(7)}  (${r1.calls / steps})`);
}
