// Why one build runs slower than another (issue 17, item 3): the same work on every build,
// in fresh processes and ABBA-interleaved in one process, under V8 flag variants and
// memory variants. Figures are medians over short paired rounds (a shared, loaded
// machine: a round's ratio is taken inside the round, so a period of contention costs a
// round, not the comparison).
//
//   npx tsx scripts/build-ab.mts [--works sgemm,dense,conv] [--rounds 30] [--procs 3]
//       [--flags default,no-tiering,no-liftoff] [--variants a,b,..] [--quick] [--rebuild]
//   npx tsx scripts/build-ab.mts --code kernels-relaxed.wasm,kernels-relaxed-threads.wasm
//       (no timing: V8's TurboFan code of every function of two builds, compared by size)
//
// Variants (NAME[@memory]): the four builds in build/; "+max" / "+import" are the relaxed
// build recompiled here (build/ab/) with a declared maximum, or an imported non-shared
// memory with the threads builds' limits; "@pregrown" grows the module's own memory to
// 256 MiB before the heap is used (no memory.grow while timing).
// Each (flags) set runs `--procs` fresh processes per variant (one variant each, the
// order rotated) and one paired process holding every variant.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';
import { THREADS_INITIAL_PAGES, THREADS_MAXIMUM_PAGES, createSharedMemory } from '../src/kernels/threads/memory.js';
import { BUILD_DIR } from '../src/kernels/node.js';
import { createWasmKernels, type WasmKernels } from '../src/kernels/wasm.js';
import type { Kernels } from '../src/kernels/kernels.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const AB_DIR = BUILD_DIR + 'ab/';
const FLAG_SETS: Record<string, string[]> = {
  default: [],
  'no-tiering': ['--no-wasm-dynamic-tiering'],
  'no-liftoff': ['--no-liftoff'],
  'liftoff-only': ['--liftoff-only'],
};
const ALL_VARIANTS = ['kernels-relaxed-threads.wasm', 'kernels-relaxed.wasm', 'kernels.wasm', 'kernels-threads.wasm', 'relaxed+max', 'relaxed+import', 'kernels-relaxed.wasm@pregrown'];
const REBUILT: Record<string, string[]> = {
  'relaxed+max': ['--maximumMemory', String(THREADS_MAXIMUM_PAGES)],
  'relaxed+import': ['--importMemory', '--initialMemory', String(THREADS_INITIAL_PAGES), '--maximumMemory', String(THREADS_MAXIMUM_PAGES)],
};

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const median = (a: readonly number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const quantile = (a: readonly number[], q: number): number => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(q * a.length))]!;

// ---- one process: load variants, time works in ABBA rounds ------------------------------

async function loadVariant(v: string): Promise<Kernels> {
  const [name, mode] = v.split('@') as [string, string | undefined];
  if (REBUILT[name]) {
    const bytes = readFileSync(AB_DIR + name + '.wasm');
    const imported = name === 'relaxed+import';
    const memory = imported ? new WebAssembly.Memory({ initial: THREADS_INITIAL_PAGES, maximum: THREADS_MAXIMUM_PAGES }) : undefined;
    return createWasmKernels(bytes, name, imported ? { memory, maximumPages: THREADS_MAXIMUM_PAGES } : {});
  }
  const bytes = readFileSync(BUILD_DIR + name);
  const shared = name.includes('threads');
  const k: WasmKernels = await createWasmKernels(bytes, name, shared ? { memory: createSharedMemory(), maximumPages: THREADS_MAXIMUM_PAGES } : {});
  if (mode === 'pregrown') k.heap.free(k.heap.alloc(64 << 20));
  return k;
}

type Work = () => void;
let splits: Awaited<ReturnType<typeof import('../src/data/load.js').loadSplits>> | undefined;
/** Calls per timed sample: each lasts about 10-20 ms. */
const CALLS: Record<string, number> = { sgemm: 4, dense: 3, conv: 1 };

async function makeWork(work: string, k: Kernels): Promise<Work> {
  if (work === 'sgemm') {
    const M = 512;
    const [a, b, c] = [k.heap.alloc(M * M), k.heap.alloc(M * M), k.heap.alloc(M * M)];
    const d = k.heap.data;
    for (let i = 0; i < M * M; i++) (d[a + i] = Math.sin(i)), (d[b + i] = Math.cos(i));
    return () => k.sgemm(0, 0, M, M, M, 1, a, M, b, M, 0, c, M);
  }
  const { loadSplits } = await import('../src/data/load.js');
  const { modelCase } = await import('../bench/model-cases.js');
  const { ourTrainSubject, ourInferSubject } = await import('../bench/model-ours.js');
  splits ??= await loadSplits();
  if (work === 'dense') {
    const s = ourTrainSubject(k, modelCase('dense'), 256, splits.train);
    return () => s.step();
  }
  if (work === 'conv') {
    const s = ourInferSubject(k, modelCase('conv'), 256, splits.test);
    return () => s.run();
  }
  throw new Error(`unknown work ${work}`);
}

/** Per variant: the first call's ms, and one ms per round (mean of `calls` calls). */
interface ChildResult {
  work: string;
  variants: string[];
  first: number[];
  rounds: number[][];
}

async function child(variants: string[], works: string[], rounds: number): Promise<void> {
  const ks = [];
  for (const v of variants) ks.push(await loadVariant(v));
  for (const work of works) {
    const fns = await Promise.all(ks.map((k) => makeWork(work, k)));
    const time = (f: Work, n: number): number => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) f();
      return (performance.now() - t0) / n;
    };
    const first = fns.map((f) => time(f, 1));
    // Warm-up: 300 ms of calls per variant, so every hot function has tiered up.
    for (const f of fns) {
      const t0 = performance.now();
      while (performance.now() - t0 < 300) f();
    }
    const out: number[][] = fns.map(() => []);
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? [...fns.keys()].reverse() : [...fns.keys()];
      for (const i of order) out[i]!.push(time(fns[i]!, CALLS[work] ?? 2));
    }
    const res: ChildResult = { work, variants, first, rounds: out };
    console.log(JSON.stringify(res));
  }
}

// ---- the parent: builds, processes, tables ----------------------------------------------

async function buildVariants(): Promise<void> {
  mkdirSync(AB_DIR, { recursive: true });
  for (const [name, flags] of Object.entries(REBUILT)) {
    const { error, stderr } = await asc.main(
      ['assembly/index.ts', '--config', 'asconfig.json', '--target', 'release', '--outFile', `build/ab/${name}.wasm`, '--textFile', `build/ab/${name}.wat`, '--enable', 'relaxed-simd', ...flags],
      {},
    );
    if (error) throw new Error(`asc ${name}: ${stderr.toString()}`);
  }
}

function runChild(flags: string[], variants: string[], works: string[], rounds: number): ChildResult[] {
  const args = ['--import', 'tsx', '--experimental-wasm-relaxed-simd', ...flags, fileURLToPath(import.meta.url), '--child', variants.join(','), '--works', works.join(','), '--rounds', String(rounds)];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`child ${variants} ${flags}: ${r.stderr}`);
  return r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ChildResult);
}

/** Samples per second of each work at `ms` per call. */
const RATE: Record<string, (ms: number) => string> = {
  sgemm: (ms) => `${((2 * 512 ** 3) / ms / 1e6).toFixed(1)} GF/s`,
  dense: (ms) => `${Math.round((256 / ms) * 1000).toLocaleString('en-US')}/s`,
  conv: (ms) => `${Math.round((256 / ms) * 1000).toLocaleString('en-US')}/s`,
};
const load = (): string => os.loadavg().map((x) => x.toFixed(2)).join(' / ');

async function parent(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const works = arg('works', 'sgemm,dense,conv').split(',');
  const rounds = Number(arg('rounds', quick ? '10' : '30'));
  const procs = Number(arg('procs', quick ? '2' : '3'));
  const flagSets = arg('flags', 'default,no-tiering').split(',');
  const variants = arg('variants', ALL_VARIANTS.join(',')).split(',');
  // Rebuilt when missing or asked for (--rebuild): another run may be reading them.
  const missing = Object.keys(REBUILT).some((name) => !existsSync(AB_DIR + name + '.wasm'));
  if (variants.some((v) => REBUILT[v.split('@')[0]!]) && (missing || process.argv.includes('--rebuild'))) await buildVariants();
  console.log(`# build-ab: works ${works.join(', ')}; ${rounds} rounds; ${procs} fresh processes per variant; load average at start ${load()}`);
  for (const fs of flagSets) {
    const flags = FLAG_SETS[fs];
    if (!flags) throw new Error(`unknown flag set ${fs}; known: ${Object.keys(FLAG_SETS).join(', ')}`);
    // Fresh processes: one variant each, the order rotated per pass.
    const fresh = new Map<string, Map<string, number[]>>(); // work -> variant -> per-process medians
    const cold = new Map<string, Map<string, number[]>>();
    for (let p = 0; p < procs; p++) {
      const order = variants.map((_, i) => variants[(i + p) % variants.length]!);
      for (const v of order) {
        for (const res of runChild(flags, [v], works, Math.max(6, rounds >> 1))) {
          push(fresh, res.work, v, median(res.rounds[0]!));
          push(cold, res.work, v, res.first[0]!);
        }
      }
    }
    // One process, every variant, ABBA rounds; ratios within each round to the first variant.
    const paired = runChild(flags, variants, works, rounds);
    console.log(`\n## V8 flags: ${fs} (${flags.join(' ') || 'none'}); load average now ${load()}\n`);
    console.log(`| work | variant | fresh processes: median (min–max) | first call ms | one process: median | ratio to ${variants[0]} (IQR) |`);
    console.log('| --- | --- | ---: | ---: | ---: | ---: |');
    for (const res of paired) {
      const ref = res.rounds[0]!;
      res.variants.forEach((v, i) => {
        const f = fresh.get(res.work)?.get(v) ?? [];
        const ratios = res.rounds[i]!.map((ms, r) => ms / ref[r]!);
        const rate = RATE[res.work]!;
        const freshCell = f.length ? `${rate(median(f))} (${rate(Math.max(...f))}–${rate(Math.min(...f))})` : '–';
        const c = cold.get(res.work)?.get(v) ?? [];
        console.log(
          `| ${res.work} | ${v} | ${freshCell} | ${c.length ? median(c).toFixed(1) : '–'} | ${rate(median(res.rounds[i]!))} | ` +
            `${median(ratios).toFixed(3)} (${quantile(ratios, 0.25).toFixed(3)}–${quantile(ratios, 0.75).toFixed(3)}) |`,
        );
      });
    }
  }
  console.log(`\nload average at end ${load()}; ratio > 1: slower than ${variants[0]} (time per call)`);
}

function push(m: Map<string, Map<string, number[]>>, a: string, b: string, x: number): void {
  if (!m.has(a)) m.set(a, new Map());
  const inner = m.get(a)!;
  if (!inner.has(b)) inner.set(b, []);
  inner.get(b)!.push(x);
}

// ---- --code: what TurboFan makes of two builds, function by function -------------------

/** Instruction bytes per function index of `build`, all compiled eagerly by TurboFan. */
function turbofanSizes(build: string): Map<number, number> {
  const script = `const b=require('fs').readFileSync(${JSON.stringify(BUILD_DIR + build)});` +
    `const m=new WebAssembly.Memory({initial:${THREADS_INITIAL_PAGES},maximum:${THREADS_MAXIMUM_PAGES},shared:true});` +
    `WebAssembly.instantiate(b,${build.includes('threads') ? '{env:{memory:m}}' : '{}'}).then(()=>{})`;
  const flags = ['--experimental-wasm-relaxed-simd', '--no-liftoff', '--no-wasm-lazy-compilation', '--print-wasm-code', '-e', script];
  const r = spawnSync(process.execPath, flags, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`node --print-wasm-code ${build}: ${r.stderr}`);
  const sizes = new Map<number, number>();
  let index = -1;
  for (const line of r.stdout.split('\n')) {
    const i = /^index: (\d+)/.exec(line);
    if (i) index = Number(i[1]);
    const s = /^Instructions \(size = (\d+)\)/.exec(line);
    if (s && index >= 0) sizes.set(index, Number(s[1]));
  }
  return sizes;
}

function compareCode(a: string, b: string): void {
  // Function names in index order, from the build's .wat (no imported functions).
  const names = [...readFileSync(BUILD_DIR + a.replace('.wasm', '.wat'), 'utf8').matchAll(/^ \(func (\S+)/gm)].map((m) => m[1]!);
  const [sa, sb] = [turbofanSizes(a), turbofanSizes(b)];
  const rows = [...sa].filter(([i, n]) => sb.get(i) !== n);
  console.log(`# TurboFan code (--no-liftoff --no-wasm-lazy-compilation --print-wasm-code): ${sa.size} functions, ${rows.length} differ in size`);
  console.log(`\n| function | ${a} bytes | ${b} bytes | ratio |\n| --- | ---: | ---: | ---: |`);
  for (const [i, n] of rows) console.log(`| ${names[i] ?? `#${i}`} | ${n} | ${sb.get(i)} | ${(n / sb.get(i)!).toFixed(2)} |`);
  const same = [...sa].filter(([i, n]) => sb.get(i) === n && /gemm|micro/i.test(names[i] ?? '')).map(([i]) => names[i]);
  console.log(`\nsame size in both (gemm): ${same.join(', ')}`);
}

if (process.argv.includes('--code')) {
  const [a, b] = arg('code', 'kernels-relaxed.wasm,kernels-relaxed-threads.wasm').split(',') as [string, string];
  compareCode(a, b);
} else if (process.argv.includes('--child')) {
  await child(arg('child', '').split(','), arg('works', 'sgemm').split(','), Number(arg('rounds', '20')));
} else {
  await parent();
}
