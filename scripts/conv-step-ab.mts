// The conv denoiser's whole training step (batch 256, the trainer's path: gather, noise,
// forward, loss, backward, Adam; bench/model-ours.ts) on several builds in one process,
// timed in interleaved ABBA rounds: CPU-time median per step -> samples/s, and B / A.
//   npx tsx scripts/conv-step-ab.mts [--builds before/kernels-relaxed.wasm,kernels-relaxed.wasm] [--rounds 15] [--batch 256]
import { RELAXED_BUILD } from '../src/kernels/builds.js';
import { createKernels } from '../src/kernels/node.js';
import { loadSplits } from '../src/data/load.js';
import { modelCase } from '../bench/model-cases.js';
import { ourTrainSubject } from '../bench/model-ours.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const builds = arg('builds', `before/${RELAXED_BUILD},${RELAXED_BUILD}`).split(',');
const rounds = Number(arg('rounds', '15'));
const batch = Number(arg('batch', '256'));
const { train } = await loadSplits();
const subjects = await Promise.all(builds.map(async (build) => ourTrainSubject(await createKernels({ build }), modelCase('conv'), batch, train)));
for (const s of subjects) for (let i = 0; i < 5; i++) s.step();
const ts: number[][] = builds.map(() => []);
for (let r = 0; r < rounds; r++) {
  for (let j = 0; j < builds.length; j++) {
    const bi = r % 2 === 0 ? j : builds.length - 1 - j;
    const t0 = process.cpuUsage();
    subjects[bi]!.step();
    subjects[bi]!.step();
    const u = process.cpuUsage(t0);
    ts[bi]!.push((u.user + u.system) / 2000);
  }
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const ms = ts.map(median);
builds.forEach((b, bi) => console.log(`${b}: ${ms[bi]!.toFixed(2)} ms/step -> ${Math.round((batch / ms[bi]!) * 1000)} samples/s (CPU time, median of ${rounds})`));
if (builds.length === 2) console.log(`B / A: ${(ms[0]! / ms[1]!).toFixed(3)}x`);
for (const s of subjects) s.dispose();
