// Interleaved A/B timing of conv passes on several builds: npx tsx scripts/conv-ab.mts buildA,buildB[,..] [layer-filter] [rounds]
import { createKernels } from '../src/kernels/node.js';
import { conv2dGeometry, conv2dTransposeGeometry } from '../src/kernels/geometry.js';
const builds = process.argv[2]!.split(',');
const only = process.argv[3] ?? '';
const rounds = Number(process.argv[4] ?? 15);
const N = 256;
const layers = [
  ['conv1', conv2dGeometry(N, 28, 28, 1, 16, 3, 3, 2, 2, 'same')],
  ['conv2', conv2dGeometry(N, 14, 14, 16, 8, 3, 3, 2, 2, 'same')],
  ['conv3T', conv2dTransposeGeometry(N, 7, 7, 8, 8, 3, 3, 2, 2, 'same')],
  ['conv4T', conv2dTransposeGeometry(N, 14, 14, 8, 16, 3, 3, 2, 2, 'same')],
  ['conv5', conv2dGeometry(N, 28, 28, 16, 1, 3, 3, 1, 1, 'same')],
] as const;
const ks = await Promise.all(builds.map((build) => createKernels({ build })));
const totals = builds.map(() => 0);
for (const [name, g] of layers) {
  if (!name.includes(only)) continue;
  const xs = g.n * g.ih * g.iw * g.cin, ys = g.n * g.oh * g.ow * g.cout, ws = g.kh * g.kw * g.cin * g.cout;
  const G = [g.n, g.ih, g.iw, g.cin, g.oh, g.ow, g.cout, g.kh, g.kw, g.sh, g.sw, g.padTop, g.padLeft] as const;
  const flops = 2 * g.n * g.oh * g.ow * g.cout * g.kh * g.kw * g.cin;
  const fns = ks.map((kernels) => {
    const x = kernels.heap.alloc(xs), y = kernels.heap.alloc(ys), w = kernels.heap.alloc(ws);
    const d = kernels.heap.data; for (let i = x; i < x + xs; i++) d[i] = Math.random(); for (let i = y; i < y + ys; i++) d[i] = Math.random(); for (let i = w; i < w + ws; i++) d[i] = Math.random() - 0.5;
    return [() => kernels.conv2dForward(x, w, y, ...G), () => kernels.conv2dBackwardInput(y, w, x, ...G), () => kernels.conv2dBackwardFilter(x, y, w, ...G)];
  });
  const line: string[][] = builds.map(() => []);
  for (let pi = 0; pi < 3; pi++) {
    if (name === 'conv1' && pi === 1) { builds.forEach((_, bi) => line[bi]!.push('bwdIn   -   ')); continue; }
    for (const f of fns) for (let i = 0; i < 3; i++) f[pi]!();
    const ts: number[][] = builds.map(() => []);
    for (let r = 0; r < rounds; r++) {
      for (let bi = 0; bi < builds.length; bi++) {
        const t0 = process.cpuUsage(); fns[bi]![pi]!(); const u = process.cpuUsage(t0); ts[bi]!.push(u.user + u.system);
      }
    }
    for (let bi = 0; bi < builds.length; bi++) {
      const s = ts[bi]!.sort((a, b) => a - b); const t = s[Math.floor(s.length / 2)]! / 1000;
      totals[bi]! += t;
      line[bi]!.push(`${['fwd', 'bwdIn', 'bwdW'][pi]} ${t.toFixed(2)}ms ${(flops / t / 1e6).toFixed(1)}GF`);
    }
  }
  for (let bi = 0; bi < builds.length; bi++) console.log(builds[bi]!.padEnd(22), name.padEnd(7), line[bi]!.join(' | '));
}
if (!only) for (let bi = 0; bi < builds.length; bi++) console.log(builds[bi]!.padEnd(22), 'step total', totals[bi]!.toFixed(1), 'ms ->', Math.round(256 / totals[bi]! * 1000), 'samples/s');
