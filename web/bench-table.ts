// The benchmark page's results table: one row per (preset, task, batch), one column per
// engine that started. A cell holds samples/s and its ratio to ae-wasm on one thread in the
// same row, or a dash whose tooltip (and the "Not timed" list) says why. Cells carry their
// figures as data attributes (data-engine, data-samples-per-sec) for scripts and tests.

import type { Engine } from './bench-engine.js';
import { byId } from './ui.js';

export const REFERENCE = 'ae-wasm-1';

export type Task = 'inference' | 'training';

export interface Row {
  /** The figure for an engine: samples/s over the median call. */
  time(engine: string, samplesPerSec: number, medianMs: number, samples: number): void;
  /** The engine did not run this case, and why. */
  fail(engine: string, reason: string): void;
}

const fmt = (x: number): string => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3));

export class ResultsTable {
  private readonly head = byId('results').querySelector('thead')!;
  private readonly body = byId('results').querySelector('tbody')!;
  private readonly notTimed = byId('unavailable');
  /** Cases an engine did not run, grouped by engine and reason: one line each, listing the cases. */
  private readonly skipped = new Map<string, { li: HTMLLIElement; cases: string[] }>();

  constructor(private readonly engines: readonly Engine[]) {
    this.head.replaceChildren();
    this.body.replaceChildren();
    const tr = document.createElement('tr');
    for (const [text, num] of [['Preset', false], ['Task', false], ['Batch', true], ...engines.map((e) => [e.label, true] as const)] as const) {
      const th = document.createElement('th');
      th.textContent = text;
      if (num) th.className = 'num';
      tr.append(th);
    }
    this.head.append(tr);
  }

  /** A line in the "Not timed" list (an engine that did not start, or a case it cannot run). */
  note(text: string): void {
    const li = document.createElement('li');
    li.textContent = text;
    this.notTimed.append(li);
  }

  private skip(label: string, what: string, reason: string): void {
    const key = `${label}\n${reason}`;
    let entry = this.skipped.get(key);
    if (!entry) {
      entry = { li: document.createElement('li'), cases: [] };
      this.skipped.set(key, entry);
      this.notTimed.append(entry.li);
    }
    entry.cases.push(what);
    entry.li.textContent = `${label} (${entry.cases.join('; ')}): ${reason}`;
  }

  addRow(preset: string, task: Task, batch: number): Row {
    const tr = document.createElement('tr');
    Object.assign(tr.dataset, { preset, task, batch: String(batch) });
    for (const text of [preset, task, String(batch)]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    tr.lastElementChild!.className = 'num';
    const cells = new Map<string, HTMLTableCellElement>();
    for (const e of this.engines) {
      const td = document.createElement('td');
      td.className = 'num pending';
      td.dataset['engine'] = e.id;
      td.textContent = '…';
      cells.set(e.id, td);
      tr.append(td);
    }
    this.body.append(tr);
    const reference = () => Number(cells.get(REFERENCE)?.dataset['samplesPerSec'] ?? Number.NaN);
    const label = (id: string) => this.engines.find((e) => e.id === id)?.label ?? id;
    return {
      time: (engine, samplesPerSec, medianMs, samples) => {
        const td = cells.get(engine)!;
        td.className = 'num';
        td.dataset['samplesPerSec'] = String(samplesPerSec);
        td.title = `median ${medianMs.toPrecision(3)} ms per call over ${samples} samples`;
        td.textContent = fmt(samplesPerSec);
        const ref = reference();
        if (engine !== REFERENCE && Number.isFinite(ref)) {
          const ratio = document.createElement('small');
          ratio.textContent = ` (${(samplesPerSec / ref).toFixed(2)}×)`;
          td.append(ratio);
        }
      },
      fail: (engine, reason) => {
        const td = cells.get(engine)!;
        td.className = 'num failed';
        td.dataset['reason'] = reason;
        td.title = reason;
        td.textContent = '—';
        this.skip(label(engine), `${preset} ${task} at batch ${batch}`, reason);
      },
    };
  }
}
