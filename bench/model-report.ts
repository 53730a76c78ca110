// Turns the model suites' records into the training and inference sections of
// bench/README.md: rows = model x batch, a column per runtime (and per WASM build, and
// per thread count of the threads build), the ratio of ae-wasm to the best JavaScript
// peer (TF.js cpu or wasm, ONNX Runtime Web) and the threads build's speed-up over 1 thread.

import { machineLine, type MachineInfo } from './lib/machine.js';
import { markdownTable, type Align } from './lib/markdown.js';
import {
  INFER_BATCHES, JS_PEERS, LATENCY_BATCH, MODEL_PRESETS, RUNTIMES, TRAIN_BATCHES, modelCase,
  type ModelRecord, type RuntimeName, type Suite,
} from './model-cases.js';
import { WASM_BUILDS } from './model-ours.js';
import type { HeapRecord, ModelSuiteResult } from './model-suite.js';
import { THREADS_BUILD } from './threads.js';

export interface ReportInfo {
  machine: MachineInfo;
  command: string;
  /** Whole run. */
  totalSeconds: number;
  kernelsIncluded: boolean;
  /** The records' files in bench/results/, without .json. */
  names: { train: string; infer: string; heap: string; meta: string };
  tfjsVersion: string;
}

interface Column {
  runtime: RuntimeName;
  build?: string;
  /** The threads comparison's records (THREADS_BUILD at this many threads); absent: the other records. */
  threads?: number;
  /** A peer's records at this many threads (a peer timed at more than one count). */
  peerThreads?: number;
  title: string;
}

/** The thread counts the threads comparison timed, ascending. */
const threadCounts = (records: ModelRecord[]): number[] =>
  [...new Set(records.filter((r) => r.rounds !== undefined).map((r) => r.threads))].sort((a, b) => a - b);

/** ae-wasm once per build that has records, then per thread count of the threads build, then the other runtimes that have records. */
function columns(records: ModelRecord[]): Column[] {
  const cols: Column[] = [];
  const builds = [...new Set(records.filter((r) => r.runtime === 'ae-wasm' && r.rounds === undefined).map((r) => r.build))];
  builds.sort((a, b) => WASM_BUILDS.indexOf(a as (typeof WASM_BUILDS)[number]) - WASM_BUILDS.indexOf(b as (typeof WASM_BUILDS)[number]));
  for (const runtime of RUNTIMES) {
    if (runtime === 'ae-wasm') {
      for (const build of builds) cols.push({ runtime, build, title: `ae-wasm \`${build}\`` });
      for (const threads of threadCounts(records)) cols.push({ runtime, build: THREADS_BUILD, threads, title: `ae-wasm \`${THREADS_BUILD}\` ×${threads}` });
    } else {
      // A peer timed at several thread counts (onnxruntime-web) gets a column per count.
      const counts = [...new Set(records.filter((r) => r.runtime === runtime).map((r) => r.threads))].sort((a, b) => a - b);
      for (const t of counts) cols.push({ runtime, peerThreads: counts.length > 1 ? t : undefined, title: counts.length > 1 ? `${runtime} ×${t}` : runtime });
    }
  }
  return cols;
}

const find = (records: ModelRecord[], suite: Suite, model: string, batch: number, c: Column): ModelRecord | undefined =>
  records.find((r) => r.suite === suite && r.model === model && r.batch === batch && r.runtime === c.runtime && (c.build === undefined || r.build === c.build) &&
    (c.threads === undefined ? r.rounds === undefined : r.rounds !== undefined && r.threads === c.threads) && (c.peerThreads === undefined || r.threads === c.peerThreads));

/** Footnotes for errors and skips, one per distinct (runtime, text). */
class Notes {
  private readonly list: string[] = [];
  ref(runtime: string, text: string): string {
    const line = `${runtime}: ${text}`;
    let i = this.list.indexOf(line);
    if (i < 0) i = this.list.push(line) - 1;
    return `[${i + 1}]`;
  }
  lines(): string[] {
    return this.list.map((l, i) => `[${i + 1}] ${l}`);
  }
}

export const formatRate = (x: number): string => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3));
const formatMs = (x: number): string => `${x.toPrecision(3)} ms`;
const formatBytes = (b: number): string => (Math.abs(b) >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MiB` : Math.abs(b) >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b} B`);

/** Latency rows (batch 1) compare milliseconds (lower is better); others samples/s. */
const isLatency = (suite: Suite, batch: number): boolean => suite === 'infer' && batch === LATENCY_BATCH;

function cell(r: ModelRecord | undefined, latency: boolean, notes: Notes): string {
  if (!r) return '—';
  if (r.error) return `fails ${notes.ref(r.runtime, `${r.model} ${r.suite === 'train' ? 'training' : 'inference'}: ${r.error.replace(/\|/g, '\\|')}`)}`;
  if (r.skipped) return `skipped ${notes.ref(r.runtime, `${r.model} batch ${r.batch}: ${r.skipped}`)}`;
  return latency ? formatMs(r.latency_ms!) : formatRate(r.samples_per_sec!);
}

/** How many times faster ae-wasm (one build) is than the best JS peer with a figure. */
export function ratioToBestPeer(records: ModelRecord[], suite: Suite, model: string, batch: number, build: string): { ratio: number; peer: string } | null {
  const ours = records.find((r) => r.suite === suite && r.model === model && r.batch === batch && r.runtime === 'ae-wasm' && r.build === build && r.rounds === undefined);
  if (!ours?.samples_per_sec) return null;
  const peers = records.filter((r) => r.suite === suite && r.model === model && r.batch === batch && JS_PEERS.includes(r.runtime) && r.threads === 1 && r.samples_per_sec);
  if (peers.length === 0) return null;
  const best = peers.reduce((a, b) => (b.samples_per_sec! > a.samples_per_sec! ? b : a));
  return { ratio: ours.samples_per_sec / best.samples_per_sec!, peer: best.runtime };
}

function table(records: ModelRecord[], suite: Suite, notes: Notes): string {
  const cols = columns(records.filter((r) => r.suite === suite));
  const builds = cols.filter((c) => c.runtime === 'ae-wasm' && c.threads === undefined).map((c) => c.build!);
  const many = builds.length > 1;
  const more = cols.filter((c) => c.threads !== undefined && c.threads > 1);
  const header = [
    'model', suite === 'train' ? 'batch' : 'batch (metric)', ...cols.map((c) => c.title),
    ...builds.map((b) => `${many ? `\`${b}\`` : 'ae-wasm'} / best JS peer`),
    ...more.map((c) => `×${c.threads} vs ×1: median (min–max)`),
  ];
  const align: Align[] = header.map((_, i) => (i < 2 ? 'left' : 'right'));
  const rows: string[][] = [];
  for (const model of MODEL_PRESETS) {
    for (const batch of suite === 'train' ? TRAIN_BATCHES : INFER_BATCHES) {
      const latency = isLatency(suite, batch);
      const label = suite === 'train' ? String(batch) : latency ? `${batch} (latency)` : `${batch} (samples/s)`;
      const name = suite === 'train' ? `${model} (${modelCase(model).objective})` : model;
      const ratios = builds.map((b) => {
        const r = ratioToBestPeer(records, suite, model, batch, b);
        return r ? `${r.ratio >= 10 ? r.ratio.toFixed(0) : r.ratio.toFixed(1)}× (${r.peer})` : '—';
      });
      const speedups = more.map((c) => {
        const r = find(records, suite, model, batch, c);
        return r?.speedup ? `${r.speedup.toFixed(2)}× (${r.speedup_min!.toFixed(2)}–${r.speedup_max!.toFixed(2)})` : '—';
      });
      rows.push([name, label, ...cols.map((c) => cell(find(records, suite, model, batch, c), latency, notes)), ...ratios, ...speedups]);
    }
  }
  return markdownTable(header, rows, align);
}

function heapTable(heap: HeapRecord[]): string {
  const header = [
    'build', 'model', 'batch', 'steps', 'WASM heap used (before → after)', 'WASM memory (before → after)',
    'JS allocated / step (sampled)', 'used_heap_size growth / step', 'retained / step', 'GCs in loop', 'ms/step: timed · loop · train()',
  ];
  const rows = heap.map((h) => {
    const same = (a: number, b: number) => (a === b ? `${formatBytes(a)}, unchanged` : `${formatBytes(a)} → ${formatBytes(b)} **changed**`);
    const trainerMs = h.trainer_samples_per_sec ? ((h.batch * 1000) / h.trainer_samples_per_sec).toPrecision(3) : '—';
    return [
      `\`${h.build}\``, h.model, String(h.batch), `2 × ${h.steps}`,
      same(h.wasm_used_before, h.wasm_used_after), same(h.wasm_capacity_before, h.wasm_capacity_after),
      `${h.js_allocated_per_step} B`, `${h.js_heap_growth_per_step} B`, `${h.js_heap_retained_per_step} B`, String(h.gcs_during_loop),
      `${h.timed_ms_per_step.toPrecision(3)} · ${h.ms_per_step.toPrecision(3)} · ${trainerMs}`,
    ];
  });
  return markdownTable(header, rows, header.map((_, i) => (i < 2 ? 'left' : 'right')));
}

/** Where the sampled JS allocations came from, summed over the heap checks (bytes per step, averaged). */
function allocationSites(heap: HeapRecord[]): string {
  const sum = new Map<string, { bytes: number; cases: number }>();
  for (const h of heap) {
    for (const s of h.js_allocation_sites) {
      const e = sum.get(s.site) ?? { bytes: 0, cases: 0 };
      e.bytes += s.bytes_per_step;
      e.cases++;
      sum.set(s.site, e);
    }
  }
  const top = [...sum].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 4);
  if (top.length === 0) return 'The sampling profiler attributed no JS allocation to the steps.';
  return 'Largest sampled allocation sites (average bytes per step over the cases where each was among the top 3): ' +
    top.map(([site, e]) => `\`${site}\` ${Math.round(e.bytes / e.cases)} B (${e.cases} cases)`).join('; ') + '.';
}

function header(info: ReportInfo, file: string): string[] {
  return [
    `Command: \`${info.command}\` (${Math.round(info.totalSeconds)} s for the whole run${info.kernelsIncluded ? ', kernel suite included' : ''}). Records: \`bench/results/${file}.json\`; run notes in \`bench/results/${info.names.meta}.json\`.`,
    '',
    `Machine: ${machineLine(info.machine)}. TF.js ${info.tfjsVersion}.`,
  ];
}

/** How the ×N columns were measured, when the run has them. */
function threadsText(records: ModelRecord[], latency: boolean): string {
  const counts = threadCounts(records);
  if (counts.length === 0) return '';
  const rounds = records.find((r) => r.rounds !== undefined)?.rounds ?? 0;
  return ` The \`×N\` columns run our threads build \`${THREADS_BUILD}\` on N kernel threads (×1: one instance, no workers; more: the ` +
    'kernel thread pool, the calling thread and N-1 workers on one shared memory). The host\'s second vCPU is at times not really there ' +
    `(PERF-NOTES.md), so these are timed apart from the other columns: case by case, all thread counts in ${rounds} interleaved rounds ` +
    '(1, 2, 2, 1, ...) after their own warm-up, taken in passes over all cases (each beginning with an uncounted round) to spread them ' +
    'over the suite; each figure is the median over rounds, and the speed-up over ×1 (last columns' +
    `${latency ? '; for batch 1, ×1 ms / ×N ms' : ''}) is taken within each round: median and min–max over rounds.`;
}

/** Run-level notes (skipped builds, absent peers, disagreements) as a list. */
function noteList(notes: string[]): string[] {
  return notes.length ? ['', 'Run notes:', '', ...notes.map((n) => `- ${n}`)] : [];
}

export function trainingSection(m: ModelSuiteResult, info: ReportInfo): string {
  const notes = new Notes();
  const t = table(m.records, 'train', notes);
  const gcNote = m.heap.some((h) => !h.gc_exposed) ? ' global.gc was not available (run without --expose-gc): growth may be hidden by a collection during the loop.' : '';
  const agree = m.losses.filter((l) => l.relative <= m.lossTolerance).length;
  const worst = m.losses.reduce((a, l) => Math.max(a, l.relative), 0);
  return [
    '## Training',
    '',
    'Training samples/s (batch size / median time of one whole step) of the presets with their default objective, Adam (lr 1e-3, ' +
      'β 0.9 / 0.999, ε 1e-7), on the 8,000 bundled training digits. **ae-wasm** times the trainer\'s step on the model\'s compiled graph ' +
      '(gather the batch in the heap, input noise for the denoiser, forward, loss, backward, Adam update — what `train()` does per step, ' +
      'without its per-epoch shuffle and evaluation), one record per WASM build; **ae-wasm-js** is the same graph on the plain-TypeScript baseline. ' +
      '**tfjs-cpu** / **tfjs-wasm** build the same layers with tfjs-layers (Keras semantics, glorot uniform) and train with ' +
      '`optimizer.minimize` over batches sliced into tensors beforehand, same objective, input noise drawn per step. ' +
      'Timing (full run): a step faster than 0.3 s is warmed up until its time settles, then timed for 2 s (at least 7 samples); a slower one gets one more ' +
      'warm-up step and 3 timed steps, and one of 4 s or more just 2 timed steps after the first. Batch 32 runs before batch 256. Every runtime runs one thread except the `×N` columns. ' +
      'Ratio: ae-wasm samples/s over the faster of tfjs-cpu and tfjs-wasm.' + threadsText(m.records.filter((r) => r.suite === 'train'), false),
    '',
    ...header(info, info.names.train),
    '',
    t,
    ...(notes.lines().length ? ['', ...notes.lines()] : []),
    '',
    '### Allocation during training steps (ae-wasm)',
    '',
    'After each timed case, two loops of n more steps, each after a forced GC (`node --expose-gc`). The WASM heap (`kernels.heap.used` and the memory size) ' +
      'must not change over them: all memory is planned at compile time. The JS heap: over the first loop, the growth of `v8.getHeapStatistics().used_heap_size` per step ' +
      '(with the GCs during the loop; coarse, as the first allocations after a GC move it by 0.1-0.3 MB whatever the loop does, so it resolves about 300 KB / n per step) and ' +
      'what remains after a GC (retained); over the second, V8\'s sampling heap profiler (`node:inspector`, one sample per 32 bytes, collected objects included) counts ' +
      'every byte the steps allocate on the JS heap, garbage included. The last column compares the timed median with the first loop\'s average and, on a full run, ' +
      `with \`train()\` over one epoch of a slice (evaluation off, a fresh model).${gcNote}`,
    '',
    heapTable(m.heap),
    '',
    allocationSites(m.heap),
    '',
    `First-step objective of each WASM build vs the JS baseline (same seed, batches and noise): ${agree} of ${m.losses.length} cases agree within ` +
      `${m.lossTolerance} relative (largest difference ${worst.toExponential(1)}).`,
    ...noteList(m.notes),
  ].join('\n');
}

export function inferenceSection(m: ModelSuiteResult, info: ReportInfo): string {
  const notes = new Notes();
  const t = table(m.records, 'infer', notes);
  return [
    '## Inference',
    '',
    'Reconstruction (encoder + decoder forward; a VAE decodes z = z_mean) of test digits already in place: samples/s at batch 256 and latency ' +
      'at batch 1 (median ms per call). ae-wasm and ae-wasm-js run a graph compiled with `training: false` (forward only, output left in the heap); ' +
      'TF.js calls the models\' `apply` inside `tf.tidy` (the cpu and wasm backends compute eagerly, so the output exists when it returns). ' +
      '**onnxruntime-web** (its wasm SIMD build, in Node, at 1 and 2 threads) and **onnxruntime-node** (CPU provider, one thread; when installed) run the ' +
      'very model ae-wasm times, exported with `exportOnnx` (same seed, same weights), each case checked against ae-wasm\'s reconstruction (1e-4) before ' +
      'it is timed; `session.run` is awaited per call (bench/model-ort.ts), so its figures include ONNX Runtime\'s own input/output copies. ' +
      'Ratio: ae-wasm over the best JS peer at one thread (tfjs-cpu, tfjs-wasm, onnxruntime-web) — samples/s for batch 256, speed-up (peer ms / ae-wasm ms) for batch 1.' +
      threadsText(m.records.filter((r) => r.suite === 'infer'), true),
    '',
    ...header(info, info.names.infer),
    '',
    t,
    ...(notes.lines().length ? ['', ...notes.lines()] : []),
  ].join('\n');
}
