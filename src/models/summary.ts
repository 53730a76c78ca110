// A Keras-style `model.summary()`: the input, then each layer with its output shape for the
// model's actual input shape and its parameter count, then the totals. The table is built
// here as text; printing it (and escaping what a model file put in the title) is the caller's.

import type { Chain } from '../nn/chain.js';
import type { Architecture } from './architecture.js';
import type { ConcatItem, Source } from './graph-record.js';
import type { Autoencoder } from './autoencoder.js';
import type { ModelLimits } from './limits.js';
import { planArchitecture } from './plan.js';

export interface SummaryRow {
  name: string;
  className: string;
  outputShape: readonly number[];
  /** Every value, non-trainable state included (as Keras' Param # column). */
  params: number;
  /** Of those, the non-trainable ones (BatchNormalization's moving statistics). */
  nonTrainable: number;
}

/** Every layer of a built model, in build order (encoder, z_mean, z_log_var, decoder); no input row. */
export function summaryRows(model: Autoencoder): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const add = (chain: Chain | null) => {
    chain?.layers.forEach((layer, i) => {
      rows.push({
        name: `${chain.part}.${i}`,
        className: layer.className,
        outputShape: layer.outShape,
        params: layer.params.reduce((s, p) => s + p.size, 0),
        nonTrainable: layer.params.reduce((s, p) => s + (p.trainable ? 0 : p.size), 0),
      });
    });
  };
  for (const chain of model.chains.values()) add(chain);
  return rows;
}

/** What the table shows besides the layer rows. */
interface SummaryHead {
  kind: Architecture['kind'];
  inputShape: readonly number[];
  codeShape: readonly number[];
}

/** The summary of a built model as fixed-width text. */
export function summaryText(model: Autoencoder, title = 'model'): string {
  return table(title, model, summaryRows(model)) + graphText(model.architecture);
}

/** A record's own graph under the table: what each part reads, and the loss terms (nothing for the default wiring). */
export function graphText(arch: Architecture): string {
  const g = arch.graph;
  if (!g) return '';
  const src = (s: Source | ConcatItem): string =>
    typeof s === 'string' ? s : 'concat' in s ? `concat(${s.concat.map(src).join(', ')})` : `sample(${s.sample.join(', ')})`;
  const reads = Object.keys(arch.parts).map((p) => `  ${p} <- ${src(g.inputs[p]!)}`);
  const terms = g.losses.map((t) => {
    const on = t.kind === 'kl' ? `${t.mean}, ${t.log_var}` : t.target ? `${t.output} vs ${t.target}` : t.output;
    return `  ${t.weight} x ${t.kind}(${on})${t.name ? ` "${t.name}"` : ''}`;
  });
  return ['', `Graph (labels: ${g.labels ?? 'none'}; code ${g.code}, output ${g.output}):`, ...reads, 'Loss terms:', ...terms].join('\n');
}

/** The summary of an architecture record from its dry-run plan: nothing is allocated. */
export function architectureSummaryText(arch: Architecture, title = 'model', limits: Partial<ModelLimits> = {}): string {
  const plan = planArchitecture(arch, limits);
  const rows = plan.layers.map((l) => ({ name: `${l.part}.${l.index}`, className: l.className, outputShape: l.outputShape, params: l.params, nonTrainable: l.nonTrainable }));
  return table(title, { kind: arch.kind, inputShape: arch.input_shape, codeShape: plan.codeShape }, rows) + graphText(arch);
}

const fmtShape = (s: readonly number[]) => `(None, ${s.join(', ')})`;
const fmtInt = (n: number) => n.toLocaleString('en-US');

function table(title: string, head: SummaryHead, layers: readonly SummaryRow[]): string {
  const rows: SummaryRow[] = [{ name: 'input', className: 'InputLayer', outputShape: head.inputShape, params: 0, nonTrainable: 0 }, ...layers];
  const header = ['Layer (type)', 'Output Shape', 'Param #'];
  const body = rows.map((r) => [`${r.name} (${r.className})`, fmtShape(r.outputShape), fmtInt(r.params)]);
  // Loops, not Math.max(...spread): a model may have a thousand layers.
  const widths = header.map((h, c) => body.reduce((w, r) => Math.max(w, r[c]!.length), h.length) + 2);
  const line = (cells: string[]) => cells.map((cell, c) => (c === 2 ? cell.padStart(widths[c]! - 2) : cell.padEnd(widths[c]!))).join('').trimEnd();
  const total = widths.reduce((a, b) => a + b, 0) - 2;
  const partOf = (r: SummaryRow) => r.name.split('.')[0];
  const out = [
    `Model: "${title}" (${head.kind}; input ${fmtShape(head.inputShape)}, code ${fmtShape(head.codeShape)})`,
    '_'.repeat(total),
    line(header),
    '='.repeat(total),
  ];
  rows.forEach((r, i) => {
    out.push(line(body[i]!));
    if (i < rows.length - 1 && partOf(rows[i + 1]!) !== partOf(r)) out.push('-'.repeat(total));
  });
  out.push('='.repeat(total));
  const count = rows.reduce((s, r) => s + r.params, 0);
  const fixed = rows.reduce((s, r) => s + r.nonTrainable, 0);
  out.push(`Total params: ${fmtInt(count)} (${fmtBytes(count * 4)})`);
  out.push(`Trainable params: ${fmtInt(count - fixed)} (${fmtBytes((count - fixed) * 4)})`);
  out.push(`Non-trainable params: ${fmtInt(fixed)} (${fmtBytes(fixed * 4)})`);
  return out.join('\n');
}

function fmtBytes(b: number): string {
  return b < 1024 ? `${b} B` : b < 1024 * 1024 ? `${(b / 1024).toFixed(2)} KB` : `${(b / 1024 / 1024).toFixed(2)} MB`;
}
