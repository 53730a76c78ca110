// "Train in your browser": trains a preset from scratch in a Web Worker (the page stays
// responsive) on training digits fetched on first use, charts the loss live, and hands
// the finished model file to the page like a dropped one.

import type { TrainEvent, TrainRequest } from '../src/browser/train-protocol.js';
import { decodeDigitPack, type DigitPack } from './digit-pack.js';
import { LossChart } from './loss-chart.js';
import { byId } from './ui.js';

export class TrainPanel {
  private worker: Worker | null = null;
  private trainDigits: Promise<DigitPack> | null = null;
  private readonly button = byId<HTMLButtonElement>('train-start');
  private readonly status = byId('train-status');
  private readonly chart = new LossChart(byId<HTMLCanvasElement>('train-chart'));

  constructor(
    private readonly testDigits: DigitPack,
    private readonly onTrained: (bytes: Uint8Array, name: string) => Promise<void>,
  ) {
    this.button.addEventListener('click', () => (this.worker ? this.stop() : void this.start()));
  }

  private async start(): Promise<void> {
    const preset = byId<HTMLSelectElement>('train-preset').value;
    const epochs = Math.min(50, Math.max(1, Math.round(byId<HTMLInputElement>('train-epochs').valueAsNumber || 1)));
    this.button.textContent = 'Stop';
    this.status.textContent = 'Fetching training digits…';
    this.chart.reset(epochs);
    try {
      this.trainDigits ??= fetch('train-digits.bin').then(async (r) => {
        if (!r.ok) throw new Error(`train-digits.bin: HTTP ${r.status}`);
        return decodeDigitPack(new Uint8Array(await r.arrayBuffer()));
      });
      const train = await this.trainDigits;
      const worker = new Worker(new URL('train-worker.js', location.href), { type: 'module' });
      this.worker = worker;
      worker.onmessage = (e: MessageEvent<TrainEvent>) => void this.onEvent(e.data, preset, epochs);
      worker.onerror = (e) => this.finish(`Training failed: ${e.message}`);
      const request: TrainRequest = {
        type: 'train',
        preset,
        epochs,
        batchSize: 32,
        seed: 0, // reproducible: the same preset and epochs train the same weights
        wasm: new URL('browser/', location.href).href,
        // Copies: the page keeps its digits (posting copies them anyway; no transfer).
        train: { images: train.images, labels: train.labels },
        test: { images: this.testDigits.images, labels: this.testDigits.labels },
      };
      worker.postMessage(request);
    } catch (err) {
      this.trainDigits = null;
      this.finish(`Training failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private stop(): void {
    this.worker?.postMessage({ type: 'stop' } satisfies TrainRequest);
    this.status.textContent = 'Stopping after this step…';
  }

  private async onEvent(ev: TrainEvent, preset: string, epochs: number): Promise<void> {
    switch (ev.type) {
      case 'begin':
        this.status.textContent = `Training ${preset} (${ev.params.toLocaleString('en-US')} parameters) on ${ev.trainSamples.toLocaleString('en-US')} digits with ${ev.build}…`;
        return;
      case 'batch':
        this.chart.add(ev.epoch - 1 + ev.step / ev.steps, ev.loss);
        this.status.innerHTML = `epoch <b>${ev.epoch}/${epochs}</b> · loss <b>${fmt(ev.loss)}</b> · <b>${Math.round(ev.samplesPerSec).toLocaleString('en-US')}</b> samples/s`;
        return;
      case 'epoch':
        this.status.innerHTML = `epoch <b>${ev.record.epoch}/${epochs}</b> · loss <b>${fmt(ev.record.loss)}</b> · test MSE <b>${ev.record.test_mse.toFixed(4)}</b>`;
        return;
      case 'error':
        return this.finish(`Training failed: ${ev.message}`);
      case 'done': {
        const name = `${preset}, trained here`;
        this.finish(`${this.status.textContent} · ${ev.stopped ? 'stopped early' : 'done'}: it is now the current model`);
        await this.onTrained(ev.bytes, name);
        return;
      }
    }
  }

  private finish(message: string): void {
    this.worker?.terminate();
    this.worker = null;
    this.button.textContent = 'Train';
    this.status.textContent = message; // text: an error message may hold anything
  }
}

function fmt(v: number): string {
  return Math.abs(v) >= 10 ? v.toFixed(2) : v.toFixed(4);
}
