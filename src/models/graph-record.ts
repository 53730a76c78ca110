// The graph of parts (README "Model files", `architecture.graph`): which part reads what,
// and the weighted loss terms on named outputs. A record without `graph` means the default
// wiring of its kind — input -> encoder -> decoder, or input -> encoder -> (z_mean,
// z_log_var) -> z -> decoder — with the loss terms the trainer's settings give (--loss,
// --l1, --beta): every preset is that graph.
//
//   "graph": {
//     "inputs": {"encoder": "input", "decoder": {"concat": ["encoder", "label"]}},
//     "labels": 10,                 one-hot label width (when anything reads "label")
//     "code": "encoder",            what encode() returns
//     "decoder": "decoder",         whose input decode() fills (optional)
//     "output": "decoder",          what reconstruct() returns
//     "losses": [{"kind": "mse", "output": "decoder", "target": "input", "weight": 1}]
//   }
//
// A source is "input", "label", a part's name, {"concat": [sources]} (along the last axis;
// each a name or a sampling) or {"sample": [mean part, log-variance part]}
// (z = mean + exp(lv / 2) eps).
// Structure is checked here (FormatError naming the part, edge or loss); shapes at every
// edge in plan.ts (ShapeError).

import { FormatError } from '../errors.js';
import type { LossKind, Reduction } from '../nn/losses.js';

export type SourceName = string;
export type Sample = { sample: [string, string] };
/** What a concatenation lists: names, or a sampling (a conditional VAE's decoder reads [z, label]). */
export type ConcatItem = SourceName | Sample;
export type Source = SourceName | { concat: ConcatItem[] } | Sample;

export const LOSS_KINDS = ['mse', 'bce', 'kl', 'l1', 'sparse_categorical_crossentropy'] as const;
export type LossTermKind = (typeof LOSS_KINDS)[number];

export interface LossTerm {
  kind: LossTermKind;
  /** Optional label for reports; unique when given. */
  name?: string;
  weight: number;
  /** mse, bce, l1, sparse_categorical_crossentropy (logits): the part whose output it reads. */
  output?: string;
  /** mse, bce: "input", "label" or a part; sparse_categorical_crossentropy: "label". */
  target?: string;
  /** mse, bce: "mean" over every element (Keras, default) or "sum" per sample, mean over the batch. */
  reduction?: Reduction;
  /** kl: the parts holding mu and log sigma². */
  mean?: string;
  log_var?: string;
}

export interface GraphRecord {
  inputs: Record<string, Source>;
  labels?: number;
  code: string;
  decoder?: string;
  output: string;
  losses: LossTerm[];
}

/** The names a part may not take: the graph's own inputs, and the prefixes of other tensors in a model file. */
const RESERVED = ['input', 'label', 'optimizer', 'preprocessing'];
const PART_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const GRAPH_KEYS = ['inputs', 'labels', 'code', 'decoder', 'output', 'losses'];
const TERM_KEYS: Record<LossTermKind, string[]> = {
  mse: ['output', 'target', 'reduction'],
  bce: ['output', 'target', 'reduction'],
  kl: ['mean', 'log_var'],
  l1: ['output'],
  sparse_categorical_crossentropy: ['output', 'target'],
};
/** More classes than any labelled data set here has (MAX_CLASSES is 64), with room. */
export const MAX_GRAPH_LABELS = 1024;
export const MAX_LOSS_TERMS = 64;
export const MAX_CONCAT_SOURCES = 64;

/** Checks a part's name (any record with a graph may name its parts freely). */
export function checkPartName(name: string, where: string): void {
  if (!PART_NAME.test(name)) throw new FormatError(`${where}: part name ${JSON.stringify(name)} must be lower-case letters, digits and _ (starting with a letter, at most 64)`);
  if (RESERVED.includes(name)) throw new FormatError(`${where}: part name ${JSON.stringify(name)} is reserved (${RESERVED.join(', ')})`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a `graph` value against the record's part names: every part read exactly once as
 * declared, every name it reads existing, no cycle, every loss on an existing output with
 * a finite weight >= 0. Returns it typed.
 */
export function validateGraphRecord(value: unknown, partNames: readonly string[], kind: string, where: string): GraphRecord {
  const fail = (msg: string): never => {
    throw new FormatError(`${where}: architecture graph ${msg}`);
  };
  if (!isObject(value)) return fail('must be a JSON object');
  for (const key of Object.keys(value)) if (!GRAPH_KEYS.includes(key)) fail(`has unknown key ${JSON.stringify(key)}; expected ${GRAPH_KEYS.join(', ')}`);
  const parts = new Set(partNames);
  const labels = value['labels'];
  if (labels !== undefined && !(Number.isInteger(labels) && (labels as number) >= 1 && (labels as number) <= MAX_GRAPH_LABELS)) {
    fail(`labels must be an integer in 1..${MAX_GRAPH_LABELS} (the one-hot label width), got ${JSON.stringify(labels)}`);
  }
  const readsLabel = (where2: string) => {
    if (labels === undefined) fail(`${where2} reads "label" but the graph sets no "labels" (the one-hot width)`);
  };
  const name = (v: unknown, what: string, allowed: 'source' | 'part'): string => {
    if (typeof v !== 'string') return fail(`${what} must be a name, got ${JSON.stringify(v)}`);
    if (allowed === 'source' && v === 'input') return v;
    if (allowed === 'source' && v === 'label') {
      readsLabel(what);
      return v;
    }
    if (!parts.has(v)) fail(`${what} names unknown part ${JSON.stringify(v)}; parts are ${partNames.join(', ')}`);
    return v;
  };

  const inputs = value['inputs'];
  if (!isObject(inputs)) return fail('inputs must be an object {part: source}');
  for (const part of Object.keys(inputs)) if (!parts.has(part)) fail(`inputs names unknown part ${JSON.stringify(part)}; parts are ${partNames.join(', ')}`);
  let samples = 0;
  const sample = (src: Record<string, unknown>, what: string) => {
    const pair = src['sample'];
    if (!Array.isArray(pair) || pair.length !== 2) fail(`${what}.sample must be [mean part, log_var part]`);
    const [m, lv] = (pair as unknown[]).map((s, i) => name(s, `${what}.sample[${i}]`, 'part'));
    if (m === lv) fail(`${what}.sample names ${JSON.stringify(m)} as both mean and log_var`);
    samples++;
    return `sample(${m},${lv})`;
  };
  const single = (src: unknown, what: string): src is Record<string, unknown> => {
    if (!isObject(src) || Object.keys(src).length !== 1) return fail(`${what} must be a name, {"concat": [...]} or {"sample": [mean, log_var]}, got ${JSON.stringify(src)}`);
    return true;
  };
  for (const part of partNames) {
    const src = inputs[part];
    const what = `inputs.${part}`;
    if (src === undefined) fail(`inputs has no source for part ${part}`);
    if (typeof src === 'string') {
      name(src, what, 'source');
      continue;
    }
    if (!single(src, what)) continue;
    if ('concat' in src) {
      const list = src['concat'];
      if (!Array.isArray(list) || list.length < 1 || list.length > MAX_CONCAT_SOURCES) fail(`${what}.concat must list 1..${MAX_CONCAT_SOURCES} sources`);
      const seen = new Set<string>();
      (list as unknown[]).forEach((s, i) => {
        const at = `${what}.concat[${i}]`;
        const n = typeof s === 'string' ? name(s, at, 'source') : single(s, at) && 'sample' in s ? sample(s, at) : fail(`${at} must be a name or {"sample": [mean, log_var]}`);
        if (seen.has(n)) fail(`${what}.concat lists ${n} twice`);
        seen.add(n);
      });
    } else if ('sample' in src) sample(src, what);
    else fail(`${what} has unknown key ${JSON.stringify(Object.keys(src)[0])}; expected "concat" or "sample"`);
  }
  if ((kind === 'vae') !== samples > 0) fail(kind === 'vae' ? 'of kind "vae" has no {"sample": [...]} edge' : `of kind ${JSON.stringify(kind)} has a sample edge; use kind "vae"`);
  const record = value as unknown as GraphRecord;
  findCycle(record, partNames, fail);

  name(value['code'], 'code', 'part');
  name(value['output'], 'output', 'part');
  if (value['decoder'] !== undefined) name(value['decoder'], 'decoder', 'part');

  const losses = value['losses'];
  if (!Array.isArray(losses) || losses.length === 0 || losses.length > MAX_LOSS_TERMS) return fail(`losses must list 1..${MAX_LOSS_TERMS} terms`);
  const termNames = new Set<string>();
  losses.forEach((t: unknown, i) => {
    const at = `losses[${i}]`;
    if (!isObject(t)) return fail(`${at} must be an object`);
    const k = t['kind'] as LossTermKind;
    if (!LOSS_KINDS.includes(k)) fail(`${at}.kind must be one of ${LOSS_KINDS.join(', ')}, got ${JSON.stringify(k)}`);
    for (const key of Object.keys(t)) {
      if (key !== 'kind' && key !== 'weight' && key !== 'name' && !TERM_KEYS[k].includes(key)) fail(`${at} (${k}) has unknown key ${JSON.stringify(key)}; expected kind, weight, name, ${TERM_KEYS[k].join(', ')}`);
    }
    const w = t['weight'];
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) fail(`${at}.weight must be a finite number >= 0, got ${JSON.stringify(w) ?? String(w)}`);
    if (t['name'] !== undefined) {
      // Printed by summaries and reports: plain characters only.
      if (typeof t['name'] !== 'string' || !/^[A-Za-z0-9_ .-]{1,64}$/.test(t['name'])) fail(`${at}.name must be 1..64 letters, digits, spaces or _ . -, got ${JSON.stringify(t['name'])}`);
      if (termNames.has(t['name'] as string)) fail(`${at}.name ${JSON.stringify(t['name'])} is a duplicate loss name`);
      termNames.add(t['name'] as string);
    }
    if (k === 'kl') {
      const m = name(t['mean'], `${at}.mean`, 'part');
      const lv = name(t['log_var'], `${at}.log_var`, 'part');
      if (m === lv) fail(`${at} names ${JSON.stringify(m)} as both mean and log_var`);
      return;
    }
    name(t['output'], `${at}.output`, 'part');
    if (k === 'l1') return;
    if (k === 'sparse_categorical_crossentropy') {
      if (t['target'] !== 'label') fail(`${at}.target must be "label" (sparse categorical cross-entropy compares logits with the labels), got ${JSON.stringify(t['target'])}`);
      readsLabel(`${at}.target`);
      return;
    }
    name(t['target'], `${at}.target`, 'source');
    const r = t['reduction'];
    if (r !== undefined && r !== 'mean' && r !== 'sum') fail(`${at}.reduction must be "mean" or "sum", got ${JSON.stringify(r)}`);
  });
  return record;
}

/** The names a source reads (parts, "input", "label"), through concatenations and samplings. */
export function sourceNames(src: Source): string[] {
  if (typeof src === 'string') return [src];
  if ('concat' in src) return src.concat.flatMap((s) => sourceNames(s));
  return [...src.sample];
}

/** Refuses a cycle (a part reading, through any path, its own output), naming it. */
function findCycle(g: GraphRecord, partNames: readonly string[], fail: (msg: string) => never): void {
  const state = new Map<string, 'open' | 'done'>();
  const visit = (part: string, path: string[]): void => {
    if (state.get(part) === 'done') return;
    if (state.get(part) === 'open') fail(`has a cycle: ${[...path.slice(path.indexOf(part)), part].join(' reads ')}`);
    state.set(part, 'open');
    for (const s of sourceNames(g.inputs[part]!)) if (s !== 'input' && s !== 'label') visit(s, [...path, part]);
    state.set(part, 'done');
  };
  for (const p of partNames) visit(p, []);
}

/** What the trainer sets for a record without a graph (its default loss terms). */
export interface DefaultLosses {
  loss: LossKind;
  l1?: number;
  beta?: number;
}

/**
 * The default wiring of a record without `graph`: autoencoder input -> encoder -> decoder,
 * vae input -> encoder -> (z_mean, z_log_var) -> z -> decoder; the reconstruction loss (a
 * VAE's summed per image), a VAE's KL weighted by beta, and L1 on the code when l1 > 0.
 */
export function defaultGraph(kind: 'autoencoder' | 'vae', o: DefaultLosses): GraphRecord {
  const vae = kind === 'vae';
  const code = vae ? 'z_mean' : 'encoder';
  const losses: LossTerm[] = [{ kind: o.loss, output: 'decoder', target: 'input', weight: 1, reduction: vae ? 'sum' : 'mean' }];
  if (vae) losses.push({ kind: 'kl', mean: 'z_mean', log_var: 'z_log_var', weight: o.beta ?? 1 });
  if (o.l1 && o.l1 > 0) losses.push({ kind: 'l1', output: code, weight: o.l1 });
  const inputs: Record<string, Source> = vae
    ? { encoder: 'input', z_mean: 'encoder', z_log_var: 'encoder', decoder: { sample: ['z_mean', 'z_log_var'] } }
    : { encoder: 'input', decoder: 'encoder' };
  return { inputs, code, decoder: 'decoder', output: 'decoder', losses };
}
