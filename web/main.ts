// The demo page: loads the test digits and the model list the server offers, then wires
// the panels to whichever model is chosen (from the list, a file picker or a drop).
// The library is imported from the shipped bundle (build-demo maps this import to
// ./browser/ae-wasm.js), so the page exercises exactly what users get.

import { loadModel, type BrowserModel, type ModelSource } from '../src/browser/index.js';
import { decodeDigitPack } from './digit-pack.js';
import { CvaePanel } from './cvae-panel.js';
import { DenoisePanel } from './denoise-panel.js';
import { DrawPanel } from './draw-panel.js';
import { LatentPanel } from './latent-panel.js';
import { takesDigits } from './model-space.js';
import { showSummary } from './summary-panel.js';
import { TrainPanel } from './train-panel.js';
import { byId } from './ui.js';

interface ModelEntry {
  name: string;
  url: string;
  bytes: number;
}

const status = byId('status');
const select = byId<HTMLSelectElement>('model-select');

function setStatus(text: string, kind: 'busy' | 'ok' | 'error'): void {
  status.textContent = text;
  status.className = `status ${kind === 'busy' ? '' : kind}`;
  document.body.dataset['state'] = kind === 'busy' ? 'loading' : kind === 'ok' ? 'ready' : 'error';
}

function showError(err: unknown): void {
  setStatus(err instanceof Error ? `${err.name}: ${err.message}` : String(err), 'error');
}

async function fetchOk(url: string): Promise<Response> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res;
}

async function main(): Promise<void> {
  const [digits, models] = await Promise.all([
    fetchOk('digits.bin').then(async (r) => decodeDigitPack(new Uint8Array(await r.arrayBuffer()))),
    fetchOk('models.json').then((r) => r.json() as Promise<ModelEntry[]>),
  ]);
  const draw = new DrawPanel(digits, showError);
  const digitPanels = [new LatentPanel(digits, showError), new DenoisePanel(digits, showError)];
  const cvae = new CvaePanel(showError);
  let current: BrowserModel | null = null;
  let loading = 0;

  async function use(source: ModelSource, name: string): Promise<void> {
    const ticket = ++loading;
    setStatus(`Loading ${name}…`, 'busy');
    try {
      const t0 = performance.now();
      const model = await loadModel(source);
      const ms = performance.now() - t0;
      // The first call on a batch size plans its memory; do it now so timings show steady state.
      // A model that reads labels (a conditional VAE) reconstructs only with one: class 0.
      await model.reconstruct(new Float32Array(model.info.inputShape.reduce((a, b) => a * b, 1)), model.info.readsLabels ? [0] : undefined);
      if (ticket !== loading) return model.dispose(); // the user already picked another
      const previous = current;
      current = model;
      showSummary(model, name, ms);
      // The latent and denoise panels work on the test digits: 28 x 28 x 1 models only. They and
      // the drawing pad reconstruct without a label, so a conditional VAE gets its own panel instead.
      const unlabelled = !model.info.readsLabels;
      for (const card of ['latent-card', 'denoise-card']) byId(card).hidden = !takesDigits(model) || !unlabelled;
      byId('draw-card').hidden = !unlabelled;
      if (unlabelled) await draw.setModel(model);
      for (const panel of takesDigits(model) && unlabelled ? digitPanels : []) await panel.setModel(model); // one at a time: clean timings
      await cvae.setModel(model);
      previous?.dispose();
      document.body.dataset['model'] = name;
      setStatus(`${name} · ${model.info.build} · ready`, 'ok');
    } catch (err) {
      if (ticket === loading) showError(err);
    }
  }

  // Every entry of the picker, by option value: server models by URL, the others by their bytes.
  const sources = new Map<string, { source: ModelSource; name: string }>();
  for (const m of models) {
    select.append(new Option(`${m.name} (${(m.bytes / 1024).toFixed(0)} KB)`, m.url));
    sources.set(m.url, { source: m.url, name: m.name });
  }
  select.addEventListener('change', () => {
    const entry = sources.get(select.value);
    if (entry) void use(entry.source, entry.name);
  });

  /** A model that came as bytes (a file, or trained here) joins the list and becomes current. */
  const useBytes = async (bytes: ArrayBuffer | Uint8Array, name: string, label: string) => {
    const option = new Option(label, `bytes:${select.options.length}`);
    select.append(option);
    select.value = option.value;
    sources.set(option.value, { source: bytes, name });
    await use(bytes, name);
  };
  const openFile = async (file: File) => useBytes(await file.arrayBuffer(), file.name, `${file.name} (opened)`);
  new TrainPanel(digits, (bytes, name) => useBytes(bytes, name, name));
  byId<HTMLInputElement>('model-file').addEventListener('change', (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file) void openFile(file);
  });
  // A dropped picture goes onto the drawing pad; anything else is taken for a model file.
  setUpDrop((file) => (file.type.startsWith('image/') ? draw.openPicture(file) : openFile(file)));

  const wanted = new URLSearchParams(location.search).get('model');
  const first = models.find((m) => m.name === wanted) ?? models.find((m) => m.name === 'dense') ?? models[0];
  if (!first) {
    setStatus('No models under runs/: drop a .safetensors file here, or train one (npx ae-wasm train --out runs/dense)', 'error');
    return;
  }
  select.value = first.url;
  await use(first.url, first.name);
}

/** Dropping a file anywhere on the page hands it to `open`. */
function setUpDrop(open: (file: File) => Promise<void>): void {
  const overlay = byId('drop-overlay');
  let depth = 0;
  const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') ?? false;
  window.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    depth++;
    overlay.hidden = false;
  });
  window.addEventListener('dragleave', () => {
    if (--depth <= 0) {
      depth = 0;
      overlay.hidden = true;
    }
  });
  window.addEventListener('dragover', (e) => hasFiles(e) && e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    overlay.hidden = true;
    const file = e.dataTransfer?.files[0];
    if (file) void open(file);
  });
}

main().catch(showError);
