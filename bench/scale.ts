// Scale benchmark: training throughput and memory as the data set grows, streamed (the
// trainer's default: uint8 samples in host memory, a ring of batches in the heap) against
// the whole set uploaded into the heap as float32 (TrainOptions.dataInHeap).
//
//   npm run bench:scale              all cases (about 6 min): bench/results/scale.json and the
//                                    scale section of bench/README.md
//   npm run bench:scale -- --only conv-600k   one case by name (prints, writes nothing)
//
// Data: the bundled digits (28x28x1), repeated to 10k, 60k and 600k images with a seeded
// shift of up to 3 pixels per copy; and a 64x64x3 set (each digit scaled up and tinted per
// channel, seeded). Each case (preset x set) runs in its own process, so its peak RSS is
// its own: the streamed run first (its peak RSS and WASM memory are read before anything
// in-heap exists), then the in-heap plan is added and timed rounds of the two alternate in
// ABBA pairs, so both see the same machine. Samples/s = batch / the median over rounds of the
// CPU time per step (the process's user + system time: robust to descheduling on a shared
// machine); the ratio is the median over pairs. The fill alone (StreamData / DeviceData
// gather) is timed too: its difference over the in-heap step is the cost of streaming, free
// of the heap-placement effect the paired ratio also carries (a model compiled after the
// in-heap set's memory.grow ran up to 10% faster in one conv-600k probe, streamed or not).
// The heap's used size and capacity are checked unchanged over every timed round of the
// streamed run: nothing is allocated per step.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { loadBundledStoredSplits } from '../src/data/bundled.js';
import type { Dataset } from '../src/data/dataset.js';
import { ArrayStore, storedDataset, transformFor, type SampleStore } from '../src/data/storage.js';
import { randomBits } from '../src/kernels/random.js';
import { createKernels } from '../src/kernels/node.js';
import { Autoencoder } from '../src/models/autoencoder.js';
import { PRESETS, presetArchitecture } from '../src/models/presets.js';
import { shuffledIndices } from '../src/data/shuffle.js';
import { RandomPurpose, RandomStream, streamKey } from '../src/random/streams.js';
import { Adam } from '../src/train/optimizers.js';
import { planStep, releaseStep, trainStep, type StepPlan } from '../src/train/step.js';
import { machineInfo, machineLine } from './lib/machine.js';
import { markdownTable, updateMarkedSection } from './lib/markdown.js';
import { writeResults } from './lib/results.js';

const README = fileURLToPath(new URL('./README.md', import.meta.url));
const BATCH = 256;
const SEED = 7;
const MiB = 2 ** 20;
const WARM_MS = 2000;

interface Case {
  name: string;
  preset: 'dense' | 'conv';
  n: number;
  shape: [number, number, number];
  /** Steps per timed round, and rounds per mode. */
  steps: number;
  rounds: number;
  /** The in-heap copy would not fit in wasm32's 4 GiB (or is pointless to time twice). */
  inHeap: boolean;
}

const CASES: Case[] = [];
for (const preset of ['dense', 'conv'] as const) {
  for (const n of [10_000, 60_000, 600_000]) {
    CASES.push({ name: `${preset}-${n / 1000}k`, preset, n, shape: [28, 28, 1], steps: preset === 'dense' ? 32 : 3, rounds: 15, inHeap: true });
  }
  CASES.push({ name: `${preset}-rgb64-20k`, preset, n: 20_000, shape: [64, 64, 3], steps: preset === 'dense' ? 4 : 1, rounds: 5, inHeap: true });
}

/** A seeded shift in [-3, 3] for copy `i` (copy 0 of each digit is unshifted). */
function shiftOf(i: number, axis: number): number {
  return (randomBits(SEED + axis, i) % 7) - 3;
}

/** n images of `shape` from the digits' levels: repeated, shifted, and for RGB scaled up and tinted. */
function makeLevels(digits: Uint8Array, count: number, n: number, shape: [number, number, number]): Uint8Array {
  const [h, w, c] = shape;
  const size = h * w * c;
  const out = new Uint8Array(n * size);
  for (let i = 0; i < n; i++) {
    const d = i % count;
    const copy = Math.floor(i / count);
    const dx = copy === 0 ? 0 : shiftOf(i, 0);
    const dy = copy === 0 ? 0 : shiftOf(i, 1);
    const src = digits.subarray(d * 784, (d + 1) * 784);
    const tint = [0, 1, 2].map((ch) => 0.5 + (randomBits(SEED + 2 + ch, i) % 128) / 255);
    for (let y = 0; y < h; y++) {
      const sy = Math.floor((y * 28) / h) - dy;
      for (let x = 0; x < w; x++) {
        const sx = Math.floor((x * 28) / w) - dx;
        const v = sy >= 0 && sy < 28 && sx >= 0 && sx < 28 ? src[sy * 28 + sx]! : 0;
        for (let ch = 0; ch < c; ch++) out[i * size + (y * w + x) * c + ch] = c === 1 ? v : Math.min(255, Math.round(v * tint[ch]!));
      }
    }
  }
  return out;
}

async function dataset(n: number, shape: [number, number, number]): Promise<Dataset> {
  const splits = await loadBundledStoredSplits();
  const parts = [splits.train, splits.test].map((ds) => (ds.storage!.store as ArrayStore).array as Uint8Array);
  const digits = new Uint8Array(parts[0]!.length + parts[1]!.length);
  digits.set(parts[0]!, 0);
  digits.set(parts[1]!, parts[0]!.length);
  const size = shape[0] * shape[1] * shape[2];
  const store: SampleStore = new ArrayStore(makeLevels(digits, digits.length / 784, n, shape), size, 'scale data');
  const transform = transformFor({ kind: 'scale', scale: 255, sampleShape: [...shape] }, 'uint8');
  return storedDataset({ store, first: 0, transform }, new Uint8Array(n), shape);
}

interface CaseResult {
  name: string;
  preset: string;
  n: number;
  shape: number[];
  data_mib: number;
  streamed: { samples_per_sec: number; rss_mib: number; wasm_mib: number; fill_ms: number };
  in_heap?: { samples_per_sec: number; rss_mib: number; wasm_mib: number; fill_ms: number };
  /** (streamed fill - in-heap fill) / in-heap step time: what streaming adds to a step. */
  fill_cost?: number;
  /** streamed / in-heap samples/s (1 = no cost): the median over paired rounds of in-heap / streamed CPU time per step. */
  ratio?: number;
  heap_unchanged: boolean;
}

const rssMiB = () => process.resourceUsage().maxRSS / 1024;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

async function runCase(c: Case): Promise<CaseResult> {
  const ds = await dataset(c.n, c.shape);
  const kernels = await createKernels({ threads: 1, build: 'kernels.wasm' });
  const subject = (dataInHeap: boolean) => {
    const model = new Autoencoder(kernels, presetArchitecture(c.preset, { inputShape: c.shape })).initialize(SEED);
    const info = PRESETS[c.preset]!;
    const plan = planStep(model, ds, {
      batch: BATCH, loss: info.defaults.loss, noise: info.defaults.noise, optimizer: new Adam(),
      noiseStream: new RandomStream(streamKey(SEED, RandomPurpose.noise)), dataInHeap,
    });
    return { plan, model };
  };
  const order = shuffledIndices(c.n, new RandomStream(streamKey(SEED, RandomPurpose.shuffle)));
  const steps = Math.floor(c.n / BATCH);
  let cursor = 0;
  // CPU milliseconds per step: a shared machine deschedules a round midway, which inflates
  // wall time but not the process's CPU time (one thread: CPU time is the step's own).
  const round = (plan: StepPlan): number => {
    const t0 = process.cpuUsage();
    for (let k = 0; k < c.steps; k++) trainStep(plan, order, (cursor++ % steps) * BATCH, BATCH);
    const t = process.cpuUsage(t0);
    return (t.user + t.system) / 1000 / c.steps;
  };
  // CPU milliseconds of a batch fill alone (the gather into the graph's input), median of rounds.
  const fillMs = (plan: StepPlan): number => {
    const fills = 64;
    const t: number[] = [];
    for (let r = 0; r < 9; r++) {
      const t0 = process.cpuUsage();
      for (let k = 0; k < fills; k++) plan.data.gather(order, (cursor++ % steps) * BATCH, BATCH, plan.graph.target.offset);
      const d = process.cpuUsage(t0);
      t.push((d.user + d.system) / 1000 / fills);
    }
    return median(t);
  };
  // V8 runs wasm in its baseline tier first: warm each plan up for a while before timing.
  const warm = (plan: StepPlan) => {
    const t0 = performance.now();
    while (performance.now() - t0 < WARM_MS) round(plan);
  };
  const streamed = subject(false);
  warm(streamed.plan);
  const heapBefore = [kernels.heap.used, kernels.heap.capacity];
  const times: { s: number[]; h: number[] } = { s: [], h: [] };
  times.s.push(round(streamed.plan));
  const streamedMem = { rss: rssMiB(), wasm: kernels.heap.capacity * 4 / MiB };
  const heapUnchanged = kernels.heap.used === heapBefore[0] && kernels.heap.capacity === heapBefore[1];
  let inHeap: ReturnType<typeof subject> | null = null;
  if (c.inHeap) {
    inHeap = subject(true);
    warm(inHeap.plan);
  }
  // Paired rounds in ABBA order, so drift in the machine's load cancels; the ratio is the
  // median over pairs of the two rounds' CPU times, not a ratio of two medians.
  const ratios: number[] = [];
  for (let r = 0; r < c.rounds; r++) {
    if (!inHeap) {
      times.s.push(round(streamed.plan));
      continue;
    }
    const streamedFirst = r % 2 === 0;
    const a = streamedFirst ? round(streamed.plan) : round(inHeap.plan);
    const b = streamedFirst ? round(inHeap.plan) : round(streamed.plan);
    const [s, h] = streamedFirst ? [a, b] : [b, a];
    times.s.push(s);
    times.h.push(h);
    ratios.push(h / s);
  }
  const result: CaseResult = {
    name: c.name, preset: c.preset, n: c.n, shape: c.shape, data_mib: (c.n * c.shape[0] * c.shape[1] * c.shape[2]) / MiB,
    streamed: { samples_per_sec: (BATCH * 1000) / median(times.s), rss_mib: streamedMem.rss, wasm_mib: streamedMem.wasm, fill_ms: fillMs(streamed.plan) },
    heap_unchanged: heapUnchanged,
  };
  if (inHeap) {
    result.in_heap = { samples_per_sec: (BATCH * 1000) / median(times.h), rss_mib: rssMiB(), wasm_mib: kernels.heap.capacity * 4 / MiB, fill_ms: fillMs(inHeap.plan) };
    result.ratio = median(ratios);
    result.fill_cost = (result.streamed.fill_ms - result.in_heap.fill_ms) / median(times.h);
    releaseStep(inHeap.plan);
  }
  releaseStep(streamed.plan);
  return result;
}

function section(results: CaseResult[], command: string, machine: ReturnType<typeof machineInfo>): string {
  const f0 = (x: number) => Math.round(x).toLocaleString('en-US');
  const rows = results.map((r) => [
    r.name, r.shape.join('x'), r.n.toLocaleString('en-US'), f0(r.data_mib),
    f0(r.streamed.samples_per_sec), r.in_heap ? f0(r.in_heap.samples_per_sec) : '–', r.ratio ? r.ratio.toFixed(3) : '–',
    r.streamed.fill_ms.toFixed(3), r.in_heap ? r.in_heap.fill_ms.toFixed(3) : '–', r.fill_cost !== undefined ? `${(100 * r.fill_cost).toFixed(1)}%` : '–',
    f0(r.streamed.rss_mib), f0(r.streamed.wasm_mib), r.in_heap ? f0(r.in_heap.rss_mib) : '–', r.in_heap ? f0(r.in_heap.wasm_mib) : '–',
    r.heap_unchanged ? 'yes' : '**NO**',
  ]);
  const table = markdownTable(
    ['case', 'sample', 'images', 'uint8 data MiB', 'streamed samples/s', 'in-heap samples/s', 'streamed / in-heap', 'fill ms streamed', 'fill ms in-heap', 'fill cost', 'streamed peak RSS MiB', 'streamed WASM MiB', 'in-heap peak RSS MiB', 'in-heap WASM MiB', 'heap unchanged'],
    rows, ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  );
  return [
    '## Scale: streamed batches vs the data set in the heap',
    '',
    `\`${command}\` on ${machineLine(machine)}. Batch ${BATCH}, Adam, kernels.wasm on one thread; one process per case. ` +
      'Streamed: uint8 samples in host memory, a ring of two uint8 batches in the heap, turned into float32 by lookupU8. ' +
      'In-heap: the whole set uploaded as float32 (TrainOptions.dataInHeap). Samples/s from the median CPU time per step; ' +
      '"streamed / in-heap" is the median over paired rounds (ABBA order, one process) of in-heap / streamed CPU time per step, so the machine\'s load cancels. ' +
      '"fill ms": CPU time of one batch fill alone (the gather into the graph\'s input); "fill cost": the streamed fill\'s extra time as a share of the in-heap step, ' +
      'the cost of streaming itself (the rest of a step runs the same kernels either way; the paired ratio also carries the two models\' heap placement and the machine\'s noise). ' +
      'Peak RSS is the process\'s maximum resident set (it includes the uint8 data and the bundled digits\' decoding); the streamed figures are read before the in-heap copy exists. ' +
      '"heap unchanged": the heap\'s used size and capacity are the same before and after the timed streamed steps.',
    '',
    table,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, case: { type: 'string' } } });
  if (values.case !== undefined) {
    const c = CASES.find((x) => x.name === values.case);
    if (!c) throw new Error(`unknown case ${values.case}`);
    process.stdout.write(JSON.stringify(await runCase(c)) + '\n');
    return;
  }
  // Read before the cases run: the load average the table quotes is the one they started in.
  const machine = machineInfo();
  const run = promisify(execFile);
  const chosen = values.only ? CASES.filter((c) => c.name.includes(values.only!)) : CASES;
  const results: CaseResult[] = [];
  for (const c of chosen) {
    const { stdout } = await run(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--case', c.name], { maxBuffer: 1 << 20 });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as CaseResult;
    console.log(`${r.name}: streamed ${Math.round(r.streamed.samples_per_sec)} samples/s, ${Math.round(r.streamed.rss_mib)} MiB RSS` +
      (r.in_heap ? `; in-heap ${Math.round(r.in_heap.samples_per_sec)} samples/s, ${Math.round(r.in_heap.rss_mib)} MiB RSS; ratio ${r.ratio!.toFixed(3)}` : '') +
      `; fill ${r.streamed.fill_ms.toFixed(3)} ms streamed${r.in_heap ? `, ${r.in_heap.fill_ms.toFixed(3)} ms in-heap (${(100 * r.fill_cost!).toFixed(1)}% of a step)` : ''}`);
    results.push(r);
  }
  const body = section(results, 'npm run bench:scale', machine);
  console.log('\n' + body);
  if (values.only) return;
  console.log(`wrote ${await writeResults('scale', results)}`);
  await updateMarkedSection(README, 'scale', body);
}

await main();
