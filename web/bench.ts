// The benchmark page: times ae-wasm against TF.js and ONNX Runtime Web in the visitor's own
// browser, on the same weights (scripts/build-demo.ts writes each preset's initial weights as
// a model file, an ONNX export and a TF.js export), and shows samples/s with the ratio to
// ae-wasm on one thread. Each peer's output is checked against ae-wasm's before its case is
// timed; a case that disagrees is not timed. Warm-up and medians follow the Node bench
// (bench/lib/timing.ts).
//
// The URL can preset the form and start at once (the browser test does):
//   bench.html?presets=dense&infer=1,256&train=256&n=5&quick=1&autorun=1
// quick: a short warm-up for tests; the figures then say little.

import { TRAIN_BATCHES, type ModelPreset } from '../bench/model-cases.js';
import { agreement } from '../bench/lib/check.js';
import { measureAsync, type MeasureOptions, type WarmupOptions } from '../bench/lib/timing.js';
import { aeWasmEngine } from './bench-aewasm.js';
import { isEngine, reasonOf, type Case, type Engine, type Probe } from './bench-engine.js';
import { ortEngine } from './bench-ort.js';
import { REFERENCE, ResultsTable, type Row } from './bench-table.js';
import { TFJS_BACKENDS, tfjsEngine } from './bench-tfjs.js';
import { decodeDigitPack, type DigitPack } from './digit-pack.js';
import { byId } from './ui.js';

interface Config {
  presets: ModelPreset[];
  inferBatches: number[];
  trainBatches: number[];
  samples: number;
  quick: boolean;
}

/** The Node bench's full-run warm-up rule (bench/model-suite.ts FULL_MODELS), and a short one for tests. */
const WARMUP: WarmupOptions = { minCalls: 5, minMs: 300, maxMs: 3000, tolerance: 0.1, batchMs: 100 };
const QUICK_WARMUP: WarmupOptions = { minCalls: 2, minMs: 0, maxMs: 100, tolerance: 1, batchMs: 5 };
/** Largest |peer - ae-wasm| relative to the largest output accepted before timing (as bench/model-ort.ts, 1e-4). */
const TOLERANCE = 1e-4;

const status = byId('status');
const setState = (state: 'idle' | 'running' | 'done' | 'error', text: string) => {
  document.body.dataset['state'] = state;
  status.textContent = text;
  status.className = `status ${state === 'done' ? 'ok' : state === 'error' ? 'error' : ''}`;
};
/** Lets the page paint between cases. */
const yieldToPage = () => new Promise((r) => setTimeout(r, 0));

async function digits(file: string): Promise<DigitPack> {
  const res = await fetch(file);
  if (!res.ok) throw new Error(`${file}: HTTP ${res.status}`);
  return decodeDigitPack(new Uint8Array(await res.arrayBuffer()));
}

function checked(name: string): string[] {
  return [...document.querySelectorAll<HTMLInputElement>(`#setup input[name="${name}"]:checked`)].map((i) => i.value);
}

function readForm(): Config {
  const quick = new URLSearchParams(location.search).get('quick') === '1';
  const n = byId<HTMLInputElement>('samples').valueAsNumber;
  return {
    presets: checked('preset') as ModelPreset[],
    inferBatches: checked('batch').map(Number),
    trainBatches: byId<HTMLInputElement>('train').checked ? trainBatchesFromUrl() : [],
    samples: Math.min(200, Math.max(1, Math.round(Number.isFinite(n) ? n : 15))),
    quick,
  };
}

/** Training batches: the Node bench's (256, 32) unless the URL names others. */
function trainBatchesFromUrl(): number[] {
  const list = new URLSearchParams(location.search).get('train');
  const batches = list ? list.split(',').map(Number).filter((b) => Number.isInteger(b) && b > 0) : [...TRAIN_BATCHES];
  return batches.length > 0 ? batches : [...TRAIN_BATCHES];
}

/** Sets the form from the URL's presets, infer, train and n. */
function fillForm(q: URLSearchParams): void {
  const tick = (name: string, values: string | null) => {
    if (values === null) return;
    const wanted = new Set(values.split(','));
    for (const box of document.querySelectorAll<HTMLInputElement>(`#setup input[name="${name}"]`)) box.checked = wanted.has(box.value);
  };
  tick('preset', q.get('presets'));
  tick('batch', q.get('infer'));
  if (q.get('train') === '0' || q.get('train') === '') byId<HTMLInputElement>('train').checked = false;
  if (q.get('n')) byId<HTMLInputElement>('samples').value = q.get('n')!;
}

function fact(term: string, value: string): void {
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  byId('facts').append(dt, dd);
}

/**
 * The agreement line of one inference case: each peer's max |peer - ae-wasm| as it is
 * checked, in a span carrying data-engine, data-max-abs-diff and data-agree.
 */
function agreementLine(preset: ModelPreset, batch: number): (engine: Engine, maxAbsDiff: number, ok: boolean) => void {
  const li = document.createElement('li');
  Object.assign(li.dataset, { preset, batch: String(batch) });
  li.textContent = `${preset} at batch ${batch}, max |Δ| against ae-wasm: `;
  byId('agreement').append(li);
  return (engine, maxAbsDiff, ok) => {
    const span = document.createElement('span');
    Object.assign(span.dataset, { engine: engine.id, maxAbsDiff: String(maxAbsDiff), agree: String(ok) });
    span.textContent = `${li.childElementCount ? ' · ' : ''}${engine.label} ${maxAbsDiff.toExponential(1)}${ok ? '' : ` (over ${TOLERANCE}: not timed)`}`;
    if (!ok) span.className = 'bad';
    li.append(span);
  };
}

/** Every engine this page knows, started or with the reason it cannot start here. */
async function probeEngines(): Promise<Probe[]> {
  const starts: [string, string, () => Promise<Probe>][] = [
    ['ae-wasm-1', 'ae-wasm, 1 thread', () => aeWasmEngine(1)],
    ['ae-wasm-2', 'ae-wasm, 2 threads', () => aeWasmEngine(2)],
    ...TFJS_BACKENDS.map((b): [string, string, () => Promise<Probe>] => [`tfjs-${b}`, `TF.js ${b}`, () => tfjsEngine(b)]),
    ['ort-wasm', 'ONNX Runtime Web wasm', ortEngine],
  ];
  const out: Probe[] = [];
  for (const [id, label, start] of starts) {
    setState('running', `Starting ${label}…`);
    out.push(await start().catch((err: unknown): Probe => ({ id, label, reason: reasonOf(err) })));
  }
  return out;
}

/** Times one case (already checked) with the Node bench's rules; fills its cell. */
async function time(row: Row, engine: Engine, c: Case, batch: number, config: Config): Promise<void> {
  const options: MeasureOptions = {
    warmup: config.quick ? QUICK_WARMUP : WARMUP,
    budgetMs: 0,
    minSamples: config.samples,
    maxSamples: config.samples,
    minSampleMs: config.quick ? 1 : 5,
  };
  const m = await measureAsync(() => c.run(), options);
  row.time(engine.id, (batch * 1000) / m.medianMs, m.medianMs, m.samples);
}

async function inferRow(table: ResultsTable, engines: Engine[], preset: ModelPreset, batch: number, x: Float32Array, config: Config): Promise<void> {
  const row = table.addRow(preset, 'inference', batch);
  const checked = agreementLine(preset, batch);
  let reference: Float32Array | null = null;
  for (const engine of engines) {
    setState('running', `${preset} · inference at batch ${batch} · ${engine.label}…`);
    await yieldToPage();
    let c: Awaited<ReturnType<Engine['infer']>> | null = null;
    try {
      c = await engine.infer(preset, batch, x);
      if (engine.id === REFERENCE) {
        reference = c.output;
      } else if (!reference) {
        throw new Error('not checked: ae-wasm on one thread gave no reference output');
      } else {
        const a = agreement(reference, c.output, TOLERANCE);
        checked(engine, a.maxAbsDiff, a.ok);
        if (!a.ok) throw new Error(`its output differs from ae-wasm's by up to ${a.maxAbsDiff.toExponential(2)}: not timed`);
      }
      await time(row, engine, c, batch, config);
    } catch (err) {
      row.fail(engine.id, reasonOf(err));
    } finally {
      await c?.dispose();
    }
  }
}

async function trainRow(table: ResultsTable, engines: Engine[], preset: ModelPreset, batch: number, data: DigitPack, config: Config): Promise<void> {
  const row = table.addRow(preset, 'training', batch);
  for (const engine of engines) {
    setState('running', `${preset} · training at batch ${batch} · ${engine.label}…`);
    await yieldToPage();
    let c: Case | null = null;
    try {
      const offered = engine.train(preset, batch, data);
      if (typeof offered === 'string') {
        row.fail(engine.id, offered);
        continue;
      }
      c = await offered;
      await time(row, engine, c, batch, config);
    } catch (err) {
      row.fail(engine.id, reasonOf(err));
    } finally {
      await c?.dispose();
    }
  }
}

async function run(config: Config): Promise<void> {
  byId<HTMLButtonElement>('run').disabled = true;
  for (const id of ['facts', 'agreement', 'unavailable']) byId(id).replaceChildren();
  try {
    const [test, train] = await Promise.all([digits('digits.bin'), config.trainBatches.length ? digits('train-digits.bin') : null]);
    const probes = await probeEngines();
    const engines = probes.filter(isEngine);
    const reference = probes.find((p) => p.id === REFERENCE)!;
    if (!isEngine(reference)) throw new Error(`ae-wasm did not start: ${reference.reason}`);
    fact('Browser', navigator.userAgent);
    fact('Logical cores', String(navigator.hardwareConcurrency ?? 'unknown'));
    fact('Cross-origin isolated', crossOriginIsolated ? 'yes (SharedArrayBuffer: threads possible)' : 'no (one thread only)');
    fact('Timing', `median of ${config.samples} samples after warm-up${config.quick ? ' (quick: a short warm-up, figures indicative only)' : ''}; inputs: the first test digits; training: Adam, the preset's loss`);
    for (const e of engines) fact(e.label, e.facts);
    const table = new ResultsTable(engines);
    for (const p of probes) if (!isEngine(p)) table.note(`${p.label}: ${p.reason}`);
    for (const preset of config.presets) {
      for (const batch of config.inferBatches) await inferRow(table, engines, preset, batch, test.images, config);
      for (const batch of config.trainBatches) await trainRow(table, engines, preset, batch, train!, config);
    }
    setState('done', `Done: ${config.presets.join(', ')} on ${engines.length} engines.`);
  } catch (err) {
    setState('error', reasonOf(err));
  } finally {
    byId<HTMLButtonElement>('run').disabled = false;
    // Finished runs, for scripts waiting on a second one (the state alone does not change).
    document.body.dataset['runs'] = String(Number(document.body.dataset['runs'] ?? 0) + 1);
  }
}

const query = new URLSearchParams(location.search);
fillForm(query);
byId<HTMLFormElement>('setup').addEventListener('submit', (e) => {
  e.preventDefault();
  void run(readForm());
});
if (query.get('autorun') === '1') void run(readForm());
