// CPU-time medians of the denoiser convolution passes (batch 256) per build:
//   npx tsx scripts/conv-timing.mts [layer-filter] [kernels.wasm,kernels-relaxed.wasm]
import { RELAXED_BUILD } from '../src/kernels/builds.js';
import { createKernels } from '../src/kernels/node.js';
import { conv2dGeometry, conv2dTransposeGeometry } from '../src/kernels/geometry.js';
const only = process.argv[2] ?? '';
const builds = (process.argv[3] ?? RELAXED_BUILD).split(',');
const layers = [
  ['conv1', conv2dGeometry(256, 28, 28, 1, 16, 3, 3, 2, 2, 'same')],
  ['conv2', conv2dGeometry(256, 14, 14, 16, 8, 3, 3, 2, 2, 'same')],
  ['conv3T', conv2dTransposeGeometry(256, 7, 7, 8, 8, 3, 3, 2, 2, 'same')],
  ['conv4T', conv2dTransposeGeometry(256, 14, 14, 8, 16, 3, 3, 2, 2, 'same')],
  ['conv5', conv2dGeometry(Number(process.env.N ?? 256), 28, 28, 16, 1, 3, 3, 1, 1, 'same')],
] as const;
for (const build of builds) {
  const kernels = await createKernels({ build });
  let total = 0;
  for (const [name, g] of layers) {
    if (!name.includes(only)) continue;
    const xs = g.n * g.ih * g.iw * g.cin, ys = g.n * g.oh * g.ow * g.cout, ws = g.kh * g.kw * g.cin * g.cout;
    const x = kernels.heap.alloc(xs), y = kernels.heap.alloc(ys), w = kernels.heap.alloc(ws);
    const d = kernels.heap.data; for (let i = x; i < x + xs; i++) d[i] = Math.random(); for (let i = y; i < y + ys; i++) d[i] = Math.random(); for (let i = w; i < w + ws; i++) d[i] = Math.random() - 0.5;
    const flops = 2 * g.n * g.oh * g.ow * g.cout * g.kh * g.kw * g.cin;
    const G = [g.n, g.ih, g.iw, g.cin, g.oh, g.ow, g.cout, g.kh, g.kw, g.sh, g.sw, g.padTop, g.padLeft] as const;
    const passes: [string, () => void][] = [
      ['fwd', () => kernels.conv2dForward(x, w, y, ...G)],
      ['bwdIn', () => kernels.conv2dBackwardInput(y, w, x, ...G)],
      ['bwdW', () => kernels.conv2dBackwardFilter(x, y, w, ...G)],
    ];
    const line: string[] = [];
    for (const [pn, f] of passes) {
      for (let i = 0; i < 5; i++) f();
      const ts: number[] = [];
      for (let r = 0; r < 9; r++) { const t0 = process.cpuUsage(); f(); f(); const u = process.cpuUsage(t0); ts.push((u.user + u.system) / 2); }
      ts.sort((a, b) => a - b);
      const t = ts[4]! / 1000;
      if (!(name === 'conv1' && pn === 'bwdIn')) total += t;
      line.push(`${pn} ${t.toFixed(2)}ms ${(flops / t / 1e6).toFixed(1)}GF`);
    }
    console.log(build.padEnd(22), name.padEnd(7), line.join(' | '));
    kernels.heap.free(x); kernels.heap.free(y); kernels.heap.free(w);
  }
  if (!only) console.log(build, 'step total', total.toFixed(1), 'ms ->', Math.round(256 / total * 1000), 'samples/s (convs only)');
}
