// The model suites: training samples/s (whole steps) and inference samples/s and
// latency (forward passes) of the presets, on our WASM builds, our JS baseline, TF.js
// cpu and wasm, and PyTorch when it is installed. Each runtime runs all its cases in
// turn (per preset: training at batch 32 then 256, inference at batch 1 then 256, so
// the smaller case warms the code of the larger one).
//
// Timing: the first call is timed on its own. A call faster than `slowMs` is warmed up
// until its speed settles and then timed within a budget (calls grouped into samples
// of at least minSampleMs); a slower one gets a fixed number of warm-up calls and
// samples. Every figure is the median over samples; a forced GC (node --expose-gc)
// runs between warm-up and timing.
//
// Our threads build at 1, 2, ... threads (threads.ts) is timed differently: case by case,
// every thread count's subject in interleaved rounds, in passes over all cases
// (bench/lib/rounds.ts), so a period when the host shares its cores hits all thread
// counts alike, and a long one only some rounds of a case.

import { loadBundledSplits } from '../src/data/bundled.js';
import { subset, type Dataset } from '../src/data/dataset.js';
import { createKernels } from '../src/kernels/node.js';
import type { Kernels } from '../src/kernels/kernels.js';
import { Autoencoder } from '../src/models/autoencoder.js';
import { Adam } from '../src/train/optimizers.js';
import { train as trainer } from '../src/train/trainer.js';
import { collectGarbage, heapCheck, type HeapCheck } from './lib/heap-check.js';
import { addBusy, busyElsewhere, cpuSnapshot, type Busy } from './lib/machine.js';
import { measureRounds, mergeRounds, speedup, summarize, type RoundsResult } from './lib/rounds.js';
import { measure, measureAsync, now, timeCalls, warmUp, type Measurement, type WarmupOptions } from './lib/timing.js';
import {
  ADAM, INFER_BATCHES, MODEL_PRESETS, ORT_WEB_THREADS, SEED, TRAIN_BATCHES, modelCase, round,
  type ModelCase, type ModelRecord, type RuntimeName, type RuntimeSelector, type Suite,
} from './model-cases.js';
import { loadBuilds, ourInferSubject, ourTrainSubject, type InferSubject, type TrainSubject } from './model-ours.js';
import { ortNodeRuntime, ortWebRuntime, type OrtRuntime } from './model-ort.js';
import { runPytorch } from './model-pytorch.js';
import { tfjsRuntime, tfjsTensorCount, type TfjsRuntime } from './model-tfjs.js';
import { loadThreadKernels, THREADS_BUILD, type ThreadKernels } from './threads.js';

export interface ModelSettings {
  quick: boolean;
  warmup: WarmupOptions;
  budgetMs: number;
  minSamples: number;
  maxSamples: number;
  minSampleMs: number;
  /** A first call at least this long is timed by count, not by budget. */
  slowMs: number;
  /** Slow calls: warm-up calls after the first, and timed samples (one call each). */
  slowWarmupCalls: number;
  slowSamples: number;
  /** A first call at least this long: no further warm-up, verySlowSamples samples. */
  verySlowMs: number;
  verySlowSamples: number;
  /**
   * Quick runs skip a case predicted (from the same runtime's smaller batch) to need
   * more than this per call; Infinity never skips.
   */
  maxPredictedCallMs: number;
  /** Heap check: its two loops of n steps last about this long together; n >= heapCheckMinSteps. */
  heapCheckMs: number;
  heapCheckMinSteps: number;
  /** Also time train() over one epoch of a slice (about this long), as a cross-check; 0: off. */
  trainerCheckMs: number;
  /**
   * The threads comparison: passes over all cases, rounds per pass, and each thread
   * count's share of a round (at least threadMinSamples samples).
   */
  threadPasses: number;
  threadRounds: number;
  threadRoundMs: number;
  threadMinSamples: number;
}

export const FULL_MODELS: ModelSettings = {
  quick: false,
  warmup: { minCalls: 5, minMs: 300, maxMs: 3000, tolerance: 0.1, batchMs: 100 },
  budgetMs: 2000, minSamples: 7, maxSamples: 400, minSampleMs: 5,
  slowMs: 300, slowWarmupCalls: 1, slowSamples: 3, verySlowMs: 4000, verySlowSamples: 2,
  maxPredictedCallMs: Infinity,
  heapCheckMs: 1000, heapCheckMinSteps: 10,
  trainerCheckMs: 1500,
  threadPasses: 3, threadRounds: 3, threadRoundMs: 150, threadMinSamples: 3,
};

export const QUICK_MODELS: ModelSettings = {
  quick: true,
  warmup: { minCalls: 3, minMs: 80, maxMs: 500, tolerance: 0.15, batchMs: 30 },
  budgetMs: 250, minSamples: 5, maxSamples: 100, minSampleMs: 5,
  slowMs: 250, slowWarmupCalls: 0, slowSamples: 1, verySlowMs: 4000, verySlowSamples: 1,
  maxPredictedCallMs: 6000,
  heapCheckMs: 200, heapCheckMinSteps: 5,
  trainerCheckMs: 0,
  threadPasses: 1, threadRounds: 3, threadRoundMs: 50, threadMinSamples: 2,
};

/** Heap figures of one training case of ours, plus the train() cross-check. */
export interface HeapRecord extends HeapCheck {
  model: string;
  runtime: RuntimeName;
  build: string;
  batch: number;
  /** Median ms per step of the timed samples, to compare with ms_per_step. */
  timed_ms_per_step: number;
  /** train() over one epoch of trainer_steps full batches (evaluation off), samples/s. */
  trainer_samples_per_sec?: number;
  trainer_steps?: number;
}

/** First-step objective of our WASM build vs our JS baseline (same seed, data, noise). */
export interface LossAgreement {
  model: string;
  batch: number;
  build: string;
  wasm: number;
  js: number;
  relative: number;
}

export interface ModelSuiteResult {
  records: ModelRecord[];
  heap: HeapRecord[];
  losses: LossAgreement[];
  /** Builds and peers skipped or failing, and anything else a reader should know. */
  notes: string[];
  /** Relative first-step loss difference above which our backends are said to disagree. */
  lossTolerance: number;
  totalSeconds: number;
}

const LOSS_TOLERANCE = 1e-4;

/** Measures `fn` (see the file comment); `warmed`: this runtime already ran this code at another batch size. */
function timeIt(fn: () => void, s: ModelSettings, warmed: boolean): Measurement {
  const first = timeCalls(fn);
  if (first.ms >= s.slowMs) {
    const single: Measurement = { medianMs: first.ms, cpuMs: first.cpuMs, minMs: first.ms, maxMs: first.ms, spread: 0, samples: 1, callsPerSample: 1, warmup: null };
    // Quick: the other batch size already ran (and warmed) this code; one call will do.
    if (s.quick && warmed) return single;
    const verySlow = first.ms >= s.verySlowMs;
    for (let i = 0; i < (verySlow ? 0 : s.slowWarmupCalls); i++) fn();
    collectGarbage();
    const n = verySlow ? s.verySlowSamples : s.slowSamples;
    return measure(fn, { warmup: null, budgetMs: 0, minSamples: n, maxSamples: n, minSampleMs: 0 });
  }
  const w = warmUp(fn, s.warmup);
  collectGarbage();
  const m = measure(fn, { warmup: null, budgetMs: s.budgetMs, minSamples: s.minSamples, maxSamples: s.maxSamples, minSampleMs: s.minSampleMs });
  return { ...m, warmup: w };
}

interface Base {
  suite: Suite;
  model: ModelCase['preset'];
  runtime: RuntimeName;
  build: string;
  threads: number;
  batch: number;
}

function timedRecord(base: Base, m: Measurement, loss?: number): ModelRecord {
  return {
    ...base,
    samples_per_sec: round((base.batch * 1000) / m.medianMs, 4),
    latency_ms: round(m.medianMs, 4),
    cpu_ms: round(m.cpuMs, 4),
    calls: m.samples * m.callsPerSample,
    spread: round(m.spread, 2),
    ...(loss !== undefined ? { loss: round(loss, 5) } : {}),
  };
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);

function logRecord(r: ModelRecord): void {
  const what = `${r.suite} ${r.model} b${r.batch} ${r.runtime}${r.runtime === 'ae-wasm' ? ` (${r.build}${r.rounds ? ` ×${r.threads}` : ''})` : ''}`.padEnd(58);
  if (r.error) console.log(`${what} ERROR ${r.error}`);
  else if (r.skipped) console.log(`${what} skipped: ${r.skipped}`);
  else {
    const loss = r.loss !== undefined ? ` loss ${r.loss}` : '';
    const up = r.speedup ? ` ${r.speedup}× vs 1 thread (${r.speedup_min}–${r.speedup_max}; elsewhere ${r.other_cpus ?? '?'} CPUs, steal ${r.steal_cpus ?? '?'})` : '';
    console.log(`${what} ${r.samples_per_sec!.toFixed(0).padStart(8)} samples/s ${r.latency_ms!.toPrecision(3).padStart(8)} ms/call ±${Math.round(r.spread! * 100)}% (${r.calls} calls)${loss}${up}`);
  }
}

/** How one runtime makes subjects. */
interface Runtime {
  name: RuntimeName;
  build: string;
  threads: number;
  train(mc: ModelCase, batch: number): TrainSubject;
  infer(mc: ModelCase, batch: number): InferSubject;
  /** Ours: a heap to check, and its element size. */
  heapBytesPerElement?: number;
  kernels?: Kernels;
}

interface SuiteState {
  s: ModelSettings;
  records: ModelRecord[];
  heap: HeapRecord[];
  notes: string[];
  firstLosses: Map<string, number>;
  splits: { train: Dataset; test: Dataset };
}

async function runRuntime(rt: Runtime, cases: ModelCase[], st: SuiteState): Promise<void> {
  const { s } = st;
  for (const mc of cases) {
    for (const suite of ['train', 'infer'] as const) {
      const batches = [...(suite === 'train' ? TRAIN_BATCHES : INFER_BATCHES)].sort((a, b) => a - b);
      let previous: { batch: number; ms: number } | null = null;
      for (const batch of batches) {
        const base: Base = { suite, model: mc.preset, runtime: rt.name, build: rt.build, threads: rt.threads, batch };
        const predicted = previous ? (previous.ms * batch) / previous.batch : 0;
        if (predicted > s.maxPredictedCallMs) {
          const reason = `skipped under --quick: a ${suite === 'train' ? 'step' : 'call'} would take about ${(predicted / 1000).toFixed(0)} s (batch ${previous!.batch} took ${(previous!.ms / 1000).toFixed(1)} s)`;
          st.records.push({ ...base, skipped: reason });
          logRecord(st.records[st.records.length - 1]!);
          continue;
        }
        const tensorsBefore = rt.name.startsWith('tfjs') ? tfjsTensorCount() : 0;
        let record: ModelRecord;
        let subject: TrainSubject | InferSubject | undefined;
        let heapRecord: HeapRecord | undefined;
        try {
          if (suite === 'train') {
            const t = (subject = rt.train(mc, batch));
            const m = timeIt(() => t.step(), s, previous !== null);
            if (!Number.isFinite(t.loss)) throw new Error(`the objective is ${t.loss} after ${m.samples * m.callsPerSample} timed steps`);
            record = timedRecord(base, m, t.loss);
            st.firstLosses.set(`${rt.name}|${rt.build}|${mc.preset}|${batch}`, t.firstLoss);
            if (rt.heapBytesPerElement && t.heap) {
              // Two loops of n steps lasting heapCheckMs together.
              const n = Math.max(s.heapCheckMinSteps, Math.round(s.heapCheckMs / 2 / m.medianMs));
              const h = await heapCheck(() => t.step(), n, t.heap, rt.heapBytesPerElement);
              heapRecord = { model: mc.preset, runtime: rt.name, build: rt.build, batch, timed_ms_per_step: round(m.medianMs, 4), ...h, ms_per_step: round(h.ms_per_step, 4) };
            }
          } else {
            const f = (subject = rt.infer(mc, batch));
            record = timedRecord(base, timeIt(() => f.run(), s, previous !== null));
          }
          previous = { batch, ms: record.latency_ms! };
        } catch (err) {
          record = { ...base, error: message(err) };
        } finally {
          subject?.dispose();
        }
        if (heapRecord) {
          if (s.trainerCheckMs > 0 && rt.kernels) Object.assign(heapRecord, await trainerCheck(rt.kernels, mc, batch, record.latency_ms!, st));
          st.heap.push(heapRecord);
        }
        st.records.push(record);
        logRecord(record);
        // (A failed minimize leaves its intermediate tensors behind: not a leak of the peer's normal path.)
        if (rt.name.startsWith('tfjs') && !record.error && tfjsTensorCount() !== tensorsBefore) {
          st.notes.push(`${rt.name} ${suite} ${mc.preset} batch ${batch}: ${tfjsTensorCount() - tensorsBefore} TF.js tensors were left allocated.`);
        }
      }
    }
  }
}

/**
 * An inference-only peer whose call completes through a promise (ONNX Runtime): batch 1
 * then 256 per preset as runRuntime does, timed by measureAsync with the same settings
 * (warm-up to a settled speed, then samples within the budget; no separate slow path:
 * these calls are milliseconds).
 */
async function runAsyncInfer(rt: OrtRuntime, cases: ModelCase[], st: SuiteState): Promise<void> {
  const { s } = st;
  for (const mc of cases) {
    for (const batch of [...INFER_BATCHES].sort((a, b) => a - b)) {
      const base: Base = { suite: 'infer', model: mc.preset, runtime: rt.name, build: rt.build, threads: rt.threads, batch };
      let record: ModelRecord;
      try {
        const f = await rt.infer(mc, batch, st.splits.test);
        try {
          collectGarbage();
          record = timedRecord(base, await measureAsync(() => f.run(), { warmup: s.warmup, budgetMs: s.budgetMs, minSamples: s.minSamples, maxSamples: s.maxSamples, minSampleMs: s.minSampleMs }));
        } finally {
          await f.dispose();
        }
      } catch (err) {
        record = { ...base, error: message(err) };
      }
      st.records.push(record);
      logRecord(record);
    }
  }
}

/**
 * THREADS_BUILD at every thread count, case by case in interleaved rounds, in passes over
 * all cases (see the file comment). Returns whether it ran. No heap check here: the
 * single-thread builds have it.
 */
async function runThreads(cases: ModelCase[], st: SuiteState): Promise<boolean> {
  let pools: ThreadKernels[];
  try {
    pools = await loadThreadKernels();
  } catch (err) {
    st.notes.push(`${THREADS_BUILD}: threads not timed: ${message(err)}`);
    return false;
  }
  const { s, splits } = st;
  interface Acc { bases: Base[]; rounds?: RoundsResult[]; busy?: Busy | null; loss?: number[]; error?: string }
  const acc = new Map<string, Acc>();
  try {
    for (let pass = 0; pass < s.threadPasses; pass++) {
      for (const mc of cases) {
        for (const suite of ['train', 'infer'] as const) {
          for (const batch of [...(suite === 'train' ? TRAIN_BATCHES : INFER_BATCHES)].sort((a, b) => a - b)) {
            const key = `${suite} ${mc.preset} ${batch}`;
            const a = acc.get(key) ?? { bases: pools.map((p) => ({ suite, model: mc.preset, runtime: 'ae-wasm', build: THREADS_BUILD, threads: p.threads, batch })) };
            acc.set(key, a);
            if (a.error) continue;
            const trains: TrainSubject[] = [];
            const infers: InferSubject[] = [];
            try {
              const fns = pools.map((p) => {
                if (suite === 'infer') {
                  const f = ourInferSubject(p.kernels, mc, batch, splits.test);
                  infers.push(f);
                  return () => f.run();
                }
                const t = ourTrainSubject(p.kernels, mc, batch, splits.train);
                trains.push(t);
                return () => t.step();
              });
              const before = cpuSnapshot();
              // Later passes: the code is warm, the uncounted first round is enough.
              const options = { warmup: pass === 0 ? s.warmup : null, rounds: s.threadRounds, roundMs: s.threadRoundMs, minSamples: s.threadMinSamples, minSampleMs: s.minSampleMs };
              a.rounds = mergeRounds(a.rounds, measureRounds(fns, options));
              a.busy = addBusy(a.busy, busyElsewhere(before, cpuSnapshot()));
              if (trains.length > 0) {
                a.loss = trains.map((t) => t.loss);
                // The pool splits so that results are identical for any thread count: so must the objective be.
                const first = trains.map((t) => t.firstLoss);
                st.firstLosses.set(`ae-wasm|${THREADS_BUILD}|${mc.preset}|${batch}`, first[0]!);
                if (pass === 0 && first.some((l) => l !== first[0])) {
                  st.notes.push(`${THREADS_BUILD} ${mc.preset} batch ${batch}: the first-step objective differs between thread counts (${first.join(', ')}).`);
                }
              }
            } catch (err) {
              a.error = message(err);
            } finally {
              [...trains, ...infers].forEach((x) => x.dispose());
            }
          }
        }
      }
      console.log(`threads: pass ${pass + 1} of ${s.threadPasses} over the model cases done`);
    }
  } finally {
    // The workers would end with the process; ending them now keeps them out of the peers' timings.
    pools.forEach((p) => p.dispose());
  }
  for (const a of acc.values()) {
    const records: ModelRecord[] = a.error || !a.rounds ? a.bases.map((b) => ({ ...b, error: a.error ?? 'not timed' })) : a.rounds.map((x, i) => {
      const ms = summarize(x.ms);
      const m: Measurement = { medianMs: ms.median, cpuMs: summarize(x.cpuMs).median, minMs: ms.min, maxMs: ms.max, spread: ms.spread, samples: x.calls, callsPerSample: 1, warmup: x.warmup };
      const up = i > 0 ? speedup(a.rounds![0]!, x) : null;
      return {
        ...timedRecord(a.bases[i]!, m, a.loss?.[i]),
        rounds: x.ms.length, latency_ms_min: round(ms.min, 4), latency_ms_max: round(ms.max, 4),
        ...(up ? { speedup: round(up.median, 3), speedup_min: round(up.min, 3), speedup_max: round(up.max, 3) } : {}),
        ...(a.busy ? { other_cpus: round(a.busy.others, 2), steal_cpus: round(a.busy.steal, 2) } : {}),
      };
    });
    for (const r of records) {
      st.records.push(r);
      logRecord(r);
    }
  }
  return true;
}

/** train() for one epoch over a slice of whole batches, test evaluation off. */
async function trainerCheck(kernels: Kernels, mc: ModelCase, batch: number, stepMs: number, st: SuiteState): Promise<Partial<HeapRecord>> {
  const steps = Math.min(Math.floor(st.splits.train.n / batch), Math.max(4, Math.round(st.s.trainerCheckMs / stepMs)));
  const model = new Autoencoder(kernels, mc.arch).initialize(SEED);
  try {
    const h = await trainer(model, { train: subset(st.splits.train, 0, steps * batch), test: st.splits.test, source: 'bench' }, {
      epochs: 1, batchSize: batch, loss: mc.loss, noise: mc.noise, beta: mc.beta, seed: SEED,
      optimizer: new Adam(ADAM), evaluateTest: false,
    });
    return { trainer_samples_per_sec: round(h.epochs[0]!.samples_per_sec, 4), trainer_steps: steps };
  } finally {
    model.dispose();
  }
}

/** `only`: just these runtimes (a partial run). */
export async function runModelSuites(s: ModelSettings, only?: readonly RuntimeSelector[]): Promise<ModelSuiteResult> {
  const wanted = (r: RuntimeSelector) => !only || only.includes(r);
  const start = now();
  const st: SuiteState = { s, records: [], heap: [], notes: [], firstLosses: new Map(), splits: await loadBundledSplits() };
  const cases = MODEL_PRESETS.map(modelCase);
  const { train, test } = st.splits;
  console.log(`model suites (${s.quick ? 'quick' : 'full'}): ${train.n} training and ${test.n} test digits; presets ${cases.map((c) => `${c.preset} (${c.objective})`).join(', ')}`);

  const ours = (name: RuntimeName, kernels: Kernels): Runtime => ({
    name,
    build: kernels.build,
    threads: 1,
    train: (mc, batch) => ourTrainSubject(kernels, mc, batch, train),
    infer: (mc, batch) => ourInferSubject(kernels, mc, batch, test),
    heapBytesPerElement: name === 'ae-wasm' ? kernels.heap.bytesPerElement : 0,
    kernels: kernels,
  });

  const builds = await loadBuilds(st.notes);
  if (wanted('ae-wasm')) for (const b of builds) await runRuntime(ours('ae-wasm', b.kernels), cases, st);
  const threadsRan = wanted('threads') && (await runThreads(cases, st));
  if (wanted('ae-wasm-js')) await runRuntime(ours('ae-wasm-js', await createKernels({ backend: 'js' })), cases, st);

  for (const backend of ['cpu', 'wasm'] as const) {
    if (!wanted(`tfjs-${backend}`)) continue;
    let tf: TfjsRuntime;
    try {
      tf = await tfjsRuntime(backend);
    } catch (err) {
      st.notes.push(`tfjs-${backend}: could not start: ${message(err)}`);
      continue;
    }
    await runRuntime({ ...tf, train: (mc, b) => tf.train(mc, b, train), infer: (mc, b) => tf.infer(mc, b, test) }, cases, st);
  }

  if (wanted('onnxruntime-web')) {
    const k = await createKernels({ backend: 'js' });
    for (const threads of ORT_WEB_THREADS) await runAsyncInfer(ortWebRuntime(threads, k), cases, st);
  }
  if (wanted('onnxruntime-node')) {
    const rt = await ortNodeRuntime(await createKernels({ backend: 'js' }));
    if ('missing' in rt) st.notes.push(rt.missing);
    else await runAsyncInfer(rt, cases, st);
  }

  if (wanted('pytorch')) {
    const py = await runPytorch(cases, s, st.splits);
    st.records.push(...py.records);
    py.records.forEach(logRecord);
    st.notes.push(...py.notes);
  }

  // Our two backends run the same seeded model on the same batches and noise: their
  // first-step objectives must agree to float32 rounding.
  const losses: LossAgreement[] = [];
  for (const build of [...builds.map((b) => b.build), ...(threadsRan ? [THREADS_BUILD] : [])]) {
    for (const mc of cases) {
      for (const batch of TRAIN_BATCHES) {
        const w = st.firstLosses.get(`ae-wasm|${build}|${mc.preset}|${batch}`);
        const j = st.firstLosses.get(`ae-wasm-js|js|${mc.preset}|${batch}`);
        if (w === undefined || j === undefined) continue;
        const relative = Math.abs(w - j) / Math.max(Math.abs(j), 1e-30);
        losses.push({ model: mc.preset, batch, build, wasm: w, js: j, relative });
        if (!(relative <= LOSS_TOLERANCE)) {
          st.notes.push(`${build} ${mc.preset} batch ${batch}: first-step objective ${w} differs from the JS baseline's ${j} (relative ${relative.toExponential(1)}).`);
        }
      }
    }
  }
  return { records: st.records, heap: st.heap, losses, notes: st.notes, lossTolerance: LOSS_TOLERANCE, totalSeconds: (now() - start) / 1000 };
}
