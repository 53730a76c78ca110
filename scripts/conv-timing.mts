// Per-pass table of the denoiser step's convolutions (batch 256, one thread), every build
// timed in the same process in interleaved ABBA rounds (round r runs the builds forwards
// when r is even, backwards when odd) so that the machine's load falls on all of them:
// CPU-time median per pass, GFLOP/s and share of the build's SIMD peak (58 relaxed_madd,
// 48 mul + add; PERF-NOTES.md). With two builds the last column is B's speed over A's.
//   npx tsx scripts/conv-timing.mts [--builds a.wasm,b.wasm] [--only conv5] [--rounds 15]
// A build is a file name under build/: to compare with the kernels before a change, save them
// first (mkdir -p build/before && cp build/kernels*.wasm build/before/), then rebuild.
import { RELAXED_BUILD } from '../src/kernels/builds.js';
import { createKernels } from '../src/kernels/node.js';
import { conv2dGeometry, conv2dTransposeGeometry } from '../src/kernels/geometry.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const builds = arg('builds', RELAXED_BUILD).split(',');
const only = arg('only', '');
const rounds = Number(arg('rounds', '15'));
const N = Number(arg('n', '256'));
const peak = (build: string) => (build.includes('relaxed') ? 58 : 48);

const layers = [
  ['conv1', '28x28x1 → 14x14x16 s2', conv2dGeometry(N, 28, 28, 1, 16, 3, 3, 2, 2, 'same')],
  ['conv2', '14x14x16 → 7x7x8 s2', conv2dGeometry(N, 14, 14, 16, 8, 3, 3, 2, 2, 'same')],
  ['conv3T', 'T 7x7x8 → 14x14x8 s2', conv2dTransposeGeometry(N, 7, 7, 8, 8, 3, 3, 2, 2, 'same')],
  ['conv4T', 'T 14x14x8 → 28x28x16 s2', conv2dTransposeGeometry(N, 14, 14, 8, 16, 3, 3, 2, 2, 'same')],
  ['conv5', '28x28x16 → 28x28x1 s1', conv2dGeometry(N, 28, 28, 16, 1, 3, 3, 1, 1, 'same')],
] as const;
// A transposed layer's forward is the underlying conv's input gradient, its input
// gradient the conv's forward (geometry.ts).
const passNames = (name: string) => (name.endsWith('T') ? ['bwdIn', 'fwd', 'bwdW'] : ['fwd', 'bwdIn', 'bwdW']);
const label = ['forward', 'input grad', 'filter grad'];

const ks = await Promise.all(builds.map((build) => createKernels({ build })));
const totals = builds.map(() => 0);
let stepFlops = 0;
const header = ['pass', 'shape', 'MFLOP', ...builds.flatMap((b) => [`${b} ms`, 'GFLOP/s', `% of ${peak(b)}`]), ...(builds.length === 2 ? ['B / A'] : [])];
const rows: string[][] = [];
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

for (const [name, shape, g] of layers) {
  if (!name.includes(only)) continue;
  const xs = g.n * g.ih * g.iw * g.cin, ys = g.n * g.oh * g.ow * g.cout, ws = g.kh * g.kw * g.cin * g.cout;
  const G = [g.n, g.ih, g.iw, g.cin, g.oh, g.ow, g.cout, g.kh, g.kw, g.sh, g.sw, g.padTop, g.padLeft] as const;
  const flops = 2 * g.n * g.oh * g.ow * g.cout * g.kh * g.kw * g.cin;
  const fns = ks.map((kernels) => {
    const x = kernels.heap.alloc(xs), y = kernels.heap.alloc(ys), w = kernels.heap.alloc(ws);
    const d = kernels.heap.data;
    for (let i = x; i < x + xs; i++) d[i] = Math.random();
    for (let i = y; i < y + ys; i++) d[i] = Math.random();
    for (let i = w; i < w + ws; i++) d[i] = Math.random() - 0.5;
    const calls: Record<string, () => void> = {
      fwd: () => kernels.conv2dForward(x, w, y, ...G),
      bwdIn: () => kernels.conv2dBackwardInput(y, w, x, ...G),
      bwdW: () => kernels.conv2dBackwardFilter(x, y, w, ...G),
    };
    return passNames(name).map((p) => calls[p]!);
  });
  for (let pi = 0; pi < 3; pi++) {
    // conv1's input gradient would be the data's: not part of the training step.
    const inStep = !(name === 'conv1' && pi === 1);
    for (const f of fns) for (let i = 0; i < 3; i++) f[pi]!();
    const ts: number[][] = builds.map(() => []);
    for (let r = 0; r < rounds; r++) {
      for (let j = 0; j < builds.length; j++) {
        const bi = r % 2 === 0 ? j : builds.length - 1 - j;
        const t0 = process.cpuUsage();
        fns[bi]![pi]!();
        const u = process.cpuUsage(t0);
        ts[bi]!.push((u.user + u.system) / 1000);
      }
    }
    const ms = ts.map(median);
    if (inStep) {
      ms.forEach((t, bi) => (totals[bi]! += t));
      stepFlops += flops;
    }
    rows.push([
      `${name} ${label[pi]}${inStep ? '' : ' (not in step)'}`, shape, (flops / 1e6).toFixed(0),
      ...ms.flatMap((t, bi) => [t.toFixed(3), (flops / t / 1e6).toFixed(1), `${Math.round((flops / t / 1e6 / peak(builds[bi]!)) * 100)}%`]),
      ...(ms.length === 2 ? [`${(ms[0]! / ms[1]!).toFixed(2)}×`] : []),
    ]);
  }
}
if (!only) {
  rows.push([
    '**denoiser step** (14 passes)', `n=${N}`, (stepFlops / 1e6).toFixed(0),
    ...totals.flatMap((t, bi) => [t.toFixed(2), (stepFlops / t / 1e6).toFixed(1), `${Math.round((stepFlops / t / 1e6 / peak(builds[bi]!)) * 100)}%`]),
    ...(totals.length === 2 ? [`${(totals[0]! / totals[1]!).toFixed(2)}×`] : []),
  ]);
}
console.log(`| ${header.join(' | ')} |`);
console.log(`| ${header.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
if (!only) for (let bi = 0; bi < builds.length; bi++) console.log(`${builds[bi]}: step convolutions ${totals[bi]!.toFixed(2)} ms -> ${Math.round((N / totals[bi]!) * 1000)} samples/s (convs only)`);
