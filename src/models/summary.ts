// A Keras-style `model.summary()`: each layer with its output shape and parameter count.

import type { Chain } from '../nn/chain.js';
import type { Autoencoder } from './autoencoder.js';

export interface SummaryRow {
  name: string;
  className: string;
  outputShape: readonly number[];
  params: number;
}

export function summaryRows(model: Autoencoder): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const add = (chain: Chain | null) => {
    chain?.layers.forEach((layer, i) => {
      rows.push({
        name: `${chain.part}.${i}`,
        className: layer.className,
        outputShape: layer.outShape,
        params: layer.params.reduce((s, p) => s + p.size, 0),
      });
    });
  };
  add(model.encoder);
  add(model.zMean);
  add(model.zLogVar);
  add(model.decoder);
  return rows;
}

const fmtShape = (s: readonly number[]) => `(None, ${s.join(', ')})`;
const fmtInt = (n: number) => n.toLocaleString('en-US');

/** The summary as fixed-width text. */
export function summaryText(model: Autoencoder, title = 'model'): string {
  const rows = summaryRows(model);
  const head = ['Layer (type)', 'Output Shape', 'Param #'];
  const body = rows.map((r) => [`${r.name} (${r.className})`, fmtShape(r.outputShape), fmtInt(r.params)]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((r) => r[c]!.length)) + 2);
  const line = (cells: string[]) => cells.map((cell, c) => (c === 2 ? cell.padStart(widths[c]! - 2) : cell.padEnd(widths[c]!))).join('').trimEnd();
  const total = widths.reduce((a, b) => a + b, 0) - 2;
  const out = [
    `Model: "${title}" (${model.kind}; input ${fmtShape(model.inputShape)}, code ${fmtShape(model.codeShape)})`,
    '_'.repeat(total),
    line(head),
    '='.repeat(total),
  ];
  rows.forEach((r, i) => {
    out.push(line(body[i]!));
    if (i < rows.length - 1 && rows[i + 1]!.name.split('.')[0] !== r.name.split('.')[0]) out.push('-'.repeat(total));
  });
  out.push('='.repeat(total));
  const count = model.params.count;
  out.push(`Total params: ${fmtInt(count)} (${fmtBytes(count * 4)})`);
  return out.join('\n');
}

function fmtBytes(b: number): string {
  return b < 1024 ? `${b} B` : b < 1024 * 1024 ? `${(b / 1024).toFixed(2)} KB` : `${(b / 1024 / 1024).toFixed(2)} MB`;
}
