// Where an inference batch spends its time, and before/after figures, paired in one process.
//   node --experimental-wasm-relaxed-simd --import tsx scripts/infer-timing.mts [--before DIR] [--rounds N] [--only breakdown|models]
//
// 1. Breakdown (this tree): the dense preset's forward at batch 256 (784 -> 64 relu ->
//    784 sigmoid) against its parts: each gemm without epilogue (sgemm), each with its
//    fused bias + activation (sgemmBiasAct), and the bias + activation pass alone
//    (biasActForward over the gemm's output). Per build.
// 2. Models: dense, deep and vae reconstruction (encoder + decoder, z = z_mean) at batch
//    256 (samples/s) and 1 (µs), on this tree and, with --before DIR, on another checkout
//    (e.g. `git archive` of main with its build/ and node_modules): both trees' modules are
//    loaded into this process and timed in interleaved rounds (A B B A ...), so the ratio
//    after / before is taken between neighbours in time; the load average is printed with
//    every table because the machine is shared.
// Every figure is the median over rounds of each round's median; ratios are per round,
// median (min-max).
import os from 'node:os';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const ROUNDS = Number(opt('--rounds') ?? 9);
const ONLY = opt('--only');
const BEFORE = opt('--before');
const HERE = new URL('..', import.meta.url).pathname;
const BUILDS = ['kernels.wasm', 'kernels-relaxed.wasm'];

const load = () => os.loadavg().map((v) => v.toFixed(2)).join(' / ');
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Median µs per call of f over `samples` groups of calls lasting about 2 ms each. */
function timeUs(f: () => void, samples: number, perGroup: number): number {
  const t: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    for (let i = 0; i < perGroup; i++) f();
    t.push(((performance.now() - t0) * 1000) / perGroup);
  }
  return median(t);
}

interface Subject {
  name: string;
  run: () => void;
  perGroup: number;
}

/** Warms every subject, then ROUNDS interleaved rounds (order reversed every other round); per-round medians. */
function rounds(subjects: Subject[], samples = 7): number[][] {
  for (const s of subjects) {
    const t0 = performance.now();
    let calls = 0;
    while (performance.now() - t0 < 300) {
      s.run();
      calls++;
    }
    s.perGroup = Math.max(1, Math.round(calls / 150)); // about 2 ms a group
  }
  const out = subjects.map(() => [] as number[]);
  for (let r = -1; r < ROUNDS; r++) {
    const order = subjects.map((_, i) => i);
    if (r % 2) order.reverse();
    for (const i of order) {
      const us = timeUs(subjects[i]!.run, samples, subjects[i]!.perGroup);
      if (r >= 0) out[i]!.push(us); // round -1 is a warm-up round, not counted
    }
  }
  return out;
}

const spread = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `${median(s).toFixed(3)} (${s[0]!.toFixed(2)}-${s[s.length - 1]!.toFixed(2)})`;
};

interface Tree {
  root: string;
  createKernels: (o: { build: string }) => Promise<any>;
  Autoencoder: any;
  presetArchitecture: (p: string) => any;
  PRESETS: Record<string, any>;
  RandomStream: any;
}

async function tree(root: string): Promise<Tree> {
  const m = (p: string) => import(pathToFileURL(`${root}/${p}`).href);
  const [node, ae, presets, streams] = await Promise.all([
    m('src/kernels/node.ts'), m('src/models/autoencoder.ts'), m('src/models/presets.ts'), m('src/random/streams.ts'),
  ]);
  return { root, createKernels: node.createKernels, Autoencoder: ae.Autoencoder, presetArchitecture: presets.presetArchitecture, PRESETS: presets.PRESETS, RandomStream: streams.RandomStream };
}

function images(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 2 ** 32;
  }
  return v;
}

/** reconstruct()'s forward pass on a graph compiled for inference, input already in the heap. */
function inferSubject(t: Tree, kernels: any, preset: string, batch: number): () => void {
  const model = new t.Autoencoder(kernels, t.presetArchitecture(preset)).initialize(0);
  const loss = t.PRESETS[preset].defaults.loss;
  // forwardOnly: ignored by a tree that predates it.
  const g = model.compile({ batch, training: false, loss, forwardOnly: true });
  kernels.heap.write(g.input.offset, images(batch * model.inputSize, 7));
  const ctx = { kernels, training: false, noise: new t.RandomStream(0) };
  return () => g.forward(ctx, batch, false);
}

async function breakdown(): Promise<void> {
  const t = await tree(HERE);
  console.log(`\n## Dense b256 forward: where the time goes (this tree; load ${load()})\n`);
  console.log('| build | part | µs median (min-max over rounds) | share of forward |');
  console.log('| --- | --- | ---: | ---: |');
  for (const build of BUILDS) {
    const k = await t.createKernels({ build });
    const n = 256, d = 784, h = 64;
    const x = k.heap.alloc(n * d), w1 = k.heap.alloc(d * h), b1 = k.heap.alloc(h), y1 = k.heap.alloc(n * h);
    const w2 = k.heap.alloc(h * d), b2 = k.heap.alloc(d), y2 = k.heap.alloc(n * d);
    k.heap.write(x, images(n * d, 1));
    k.heap.write(w1, images(d * h, 2).map((v) => (v - 0.5) * 0.1));
    k.heap.write(w2, images(h * d, 3).map((v) => (v - 0.5) * 0.5));
    k.heap.write(b1, images(h, 4));
    k.heap.write(b2, images(d, 5).map((v) => v - 0.5));
    const subjects: Subject[] = [
      { name: 'whole forward (model graph)', run: inferSubject(t, k, 'dense', n), perGroup: 1 },
      { name: 'encoder gemm 256x784x64, no epilogue', run: () => k.sgemm(0, 0, n, h, d, 1, x, d, w1, h, 0, y1, h), perGroup: 1 },
      { name: 'encoder gemm + bias + relu (fused)', run: () => k.sgemmBiasAct(0, 0, n, h, d, x, d, w1, h, y1, h, b1, 1, 0), perGroup: 1 },
      { name: 'decoder gemm 256x64x784, no epilogue', run: () => k.sgemm(0, 0, n, d, h, 1, y1, h, w2, d, 0, y2, d), perGroup: 1 },
      { name: 'decoder gemm + bias + sigmoid (fused)', run: () => k.sgemmBiasAct(0, 0, n, d, h, y1, h, w2, d, y2, d, b2, 3, 0), perGroup: 1 },
      { name: 'bias + sigmoid pass alone [256, 784]', run: () => k.biasActForward(y2, b2, y2, n, d, 3, 0), perGroup: 1 },
      { name: 'bias + relu pass alone [256, 64]', run: () => k.biasActForward(y1, b1, y1, n, h, 1, 0), perGroup: 1 },
      { name: 'sigmoid alone, no bias [256, 784]', run: () => k.biasActForward(y2, -1, y2, n, d, 3, 0), perGroup: 1 },
      { name: 'tanh alone, no bias [256, 784]', run: () => k.biasActForward(y2, -1, y2, n, d, 4, 0), perGroup: 1 },
      { name: 'exp alone [256, 784]', run: () => k.exp(y2, y2, n * d), perGroup: 1 },
    ];
    const res = rounds(subjects);
    const whole = median(res[0]!);
    subjects.forEach((s, i) => {
      console.log(`| ${build} | ${s.name} | ${spread(res[i]!)} | ${((100 * median(res[i]!)) / whole).toFixed(0)}% |`);
    });
  }
}

async function models(): Promise<void> {
  const roots = BEFORE ? [BEFORE, HERE] : [HERE];
  const trees = await Promise.all(roots.map(tree));
  console.log(`\n## Inference, ${BEFORE ? `before (${BEFORE}) vs after (this tree)` : 'this tree'} (load at start ${load()})\n`);
  console.log(`| build | model | batch | ${BEFORE ? 'before | after | after / before (per round, median (min-max))' : 'figure'} |`);
  console.log(`| --- | --- | ---: | ${BEFORE ? '---: | ---: | ---:' : '---:'} |`);
  for (const build of BUILDS) {
    const ks = await Promise.all(trees.map((t) => t.createKernels({ build })));
    for (const preset of ['dense', 'deep', 'vae']) {
      for (const batch of [256, 1]) {
        const subjects = trees.map((t, i) => ({ name: t.root, run: inferSubject(t, ks[i], preset, batch), perGroup: 1 }));
        const res = rounds(subjects);
        const fig = (us: number) => (batch === 1 ? `${us.toFixed(2)} µs` : `${Math.round((batch * 1e6) / us).toLocaleString('en-US')}/s`);
        if (!BEFORE) {
          console.log(`| ${build} | ${preset} | ${batch} | ${fig(median(res[0]!))} |`);
          continue;
        }
        const ratio = res[0]!.map((b, r) => b / res[1]![r]!); // before time / after time = speed-up
        console.log(`| ${build} | ${preset} | ${batch} | ${fig(median(res[0]!))} | ${fig(median(res[1]!))} | ${spread(ratio)}x |`);
      }
    }
  }
  console.log(`\nload at end ${load()}`);
}

if (ONLY !== 'models') await breakdown();
if (ONLY !== 'breakdown') await models();
