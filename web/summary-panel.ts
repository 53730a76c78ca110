// "Architecture": the Keras-style layer table and the model file's training record.

import type { BrowserModel } from '../src/browser/index.js';
import { byId } from './ui.js';

const fmtInt = (n: number) => n.toLocaleString('en-US');
const fmtShape = (s: readonly number[]) => `(${s.join(', ')})`;

export function showSummary(model: BrowserModel, name: string, loadMs: number): void {
  const { info } = model;
  const body = byId('summary').querySelector('tbody')!;
  const foot = byId('summary').querySelector('tfoot')!;
  body.replaceChildren(
    ...info.summary.map((r) => {
      const tr = document.createElement('tr');
      const cells: [string, string][] = [
        [r.name, 'part'],
        [r.className, ''],
        [fmtShape(r.outputShape), ''],
        [fmtInt(r.params), 'num'],
      ];
      for (const [text, cls] of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        if (cls) td.className = cls;
        tr.append(td);
      }
      return tr;
    }),
  );
  foot.innerHTML = '';
  const total = document.createElement('tr');
  const label = document.createElement('td');
  label.colSpan = 3;
  label.textContent = `Total (${((info.params * 4) / 1024).toFixed(1)} KB of float32 weights)`;
  const count = document.createElement('td');
  count.className = 'num';
  count.textContent = fmtInt(info.params);
  total.append(label, count);
  foot.append(total);

  byId('arch-hint').textContent =
    `${name}: ${info.kind === 'vae' ? 'variational autoencoder' : 'autoencoder'}, input ${fmtShape(info.inputShape)}, code ${fmtShape(info.codeShape)}.`;

  const t = info.training;
  const optimizer = Object.entries(t.optimizer)
    .map(([k, v]) => (k === 'name' ? String(v) : `${k} ${v}`))
    .join(', ');
  const facts: [string, string][] = [
    ['Preset', t.preset ?? 'custom'],
    ['Loss', t.loss.toUpperCase() + (info.kind === 'vae' ? ` + ${t.beta === 1 ? '' : `${t.beta} × `}KL` : '')],
    ['Optimizer', optimizer],
    ['Epochs, batch', `${t.epochs ?? '?'}, ${t.batch_size ?? '?'}`],
    ['Input noise, L1', `${t.noise}, ${t.l1}`],
    ['Seed', String(t.seed)],
    ['Runs on', `${info.build}, ${info.threads} thread${info.threads === 1 ? '' : 's'}; loaded in ${Math.round(loadMs)} ms`],
  ];
  if (typeof t.data === 'string') facts.push(['Data', t.data]);
  byId('training').replaceChildren(
    ...facts.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }),
  );
}
