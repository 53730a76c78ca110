// The static order of a graph of parts: the forward order of its nodes (parts, and the
// concatenations and samplings their edges make), and the backward schedule — which node
// or loss term writes each gradient first (it overwrites) and which add to it after.
//
// Ties are broken by the record's part order, derived nodes as soon as they are ready, so
// the default wiring runs exactly as the fixed chain did: forward encoder, z_mean,
// z_log_var, z, decoder (parameters built and initialised in that order); backward the
// reconstruction loss, decoder, z, then the KL and L1 terms (after every consumer of
// their tensors), z_mean (overwrites h's gradient), z_log_var (adds), encoder.

import { FormatError } from '../errors.js';
import { type GraphRecord, type LossTerm, type Source } from './graph-record.js';

/** A derived node: the value of an edge that is not a plain name. */
export type Derived = { kind: 'concat'; sources: string[] } | { kind: 'sample'; mean: string; logVar: string };

export interface Topology {
  /** Parts in record order. */
  parts: string[];
  /** The value each part reads: "input", "label", a part name or a derived key. */
  partInput: Map<string, string>;
  derived: Map<string, Derived>;
  /** Parts and derived keys, each after everything it reads. */
  forward: string[];
  /** Nodes (parts, derived keys) reading each value. */
  consumers: Map<string, string[]>;
  /** Loss terms and nodes in the order their backward runs. */
  backward: BackwardStep[];
  /** For each value, its gradient's writers in backward order (the first overwrites). */
  writers: Map<string, string[]>;
}

/** A node's backward (`run`: a part or a derived key; not `node:` — the browser bundle test reads that as a Node import) or a loss term's. */
export type BackwardStep = { run: string } | { loss: number };

/** The key of a derived node (stable: the same edge read twice is one node). */
export const derivedKey = (src: Exclude<Source, string>): string =>
  'concat' in src ? `concat(${src.concat.map((s) => (typeof s === 'string' ? s : derivedKey(s))).join(',')})` : `sample(${src.sample.join(',')})`;

/** What a node reads. */
export function nodeInputs(t: Pick<Topology, 'partInput' | 'derived'>, node: string): string[] {
  const d = t.derived.get(node);
  if (!d) return [t.partInput.get(node)!];
  return d.kind === 'concat' ? d.sources : [d.mean, d.logVar];
}

/** The values a loss term's gradient flows into. */
export function lossTensors(term: LossTerm): string[] {
  return term.kind === 'kl' ? [term.mean!, term.log_var!] : [term.output!];
}

export const isGraphInput = (v: string): boolean => v === 'input' || v === 'label';

export function topology(parts: readonly string[], g: GraphRecord): Topology {
  const partInput = new Map<string, string>();
  const derived = new Map<string, Derived>();
  // The value a source names, registering the derived nodes it makes (a sampling inside a concatenation too).
  const value = (src: Source): string => {
    if (typeof src === 'string') return src;
    const key = derivedKey(src);
    derived.set(key, 'concat' in src ? { kind: 'concat', sources: src.concat.map(value) } : { kind: 'sample', mean: src.sample[0], logVar: src.sample[1] });
    return key;
  };
  for (const p of parts) partInput.set(p, value(g.inputs[p]!));
  const t = { parts: [...parts], partInput, derived };
  const nodes = [...derived.keys(), ...parts];
  // Derived nodes first among the ready ones, then parts in record order.
  const rank = new Map(nodes.map((n, i) => [n, i]));
  const byRank = (a: string, b: string) => rank.get(a)! - rank.get(b)!;

  const consumers = new Map<string, string[]>();
  for (const n of [...parts, ...derived.keys()]) {
    for (const v of nodeInputs(t, n)) consumers.set(v, [...(consumers.get(v) ?? []), n]);
  }

  const forward: string[] = [];
  const done = new Set<string>(['input', 'label']);
  while (forward.length < nodes.length) {
    const next = nodes.filter((n) => !done.has(n) && nodeInputs(t, n).every((v) => done.has(v))).sort(byRank)[0];
    if (next === undefined) throw new FormatError(`architecture graph has a cycle among ${nodes.filter((n) => !done.has(n)).join(', ')}`);
    forward.push(next);
    done.add(next);
  }

  // Backward: a loss term runs as soon as every node reading its tensors has (so consumers
  // write before loss terms add); a node once every node reading its output and every loss
  // term on it has (a KL term waits for both its tensors, and holds both back).
  const backward: BackwardStep[] = [];
  const writers = new Map<string, string[]>();
  const write = (v: string, who: string) => {
    if (!isGraphInput(v)) writers.set(v, [...(writers.get(v) ?? []), who]);
  };
  const ran = new Set<string>();
  const applied = new Set<number>();
  const settled = (v: string) => (consumers.get(v) ?? []).every((c) => ran.has(c));
  while (ran.size < nodes.length) {
    g.losses.forEach((term, i) => {
      if (applied.has(i) || !lossTensors(term).every(settled)) return;
      applied.add(i);
      backward.push({ loss: i });
      for (const v of lossTensors(term)) write(v, `loss ${i}`);
    });
    const lossPending = (n: string) => g.losses.some((term, i) => !applied.has(i) && lossTensors(term).includes(n));
    const next = nodes.filter((n) => !ran.has(n) && settled(n) && !lossPending(n)).sort(byRank)[0];
    if (next === undefined) throw new FormatError(`architecture graph: no backward order for ${nodes.filter((n) => !ran.has(n)).join(', ')} (its loss terms wait on each other)`);
    ran.add(next);
    backward.push({ run: next });
    for (const v of nodeInputs(t, next)) write(v, next);
  }
  // Every part's output must reach a loss term, or its weights would get no gradient.
  const reaches = new Set<string>();
  const mark = (v: string): void => {
    if (reaches.has(v) || isGraphInput(v)) return;
    reaches.add(v);
    for (const u of derived.has(v) || parts.includes(v) ? nodeInputs(t, v) : []) mark(u);
  };
  for (const term of g.losses) for (const v of lossTensors(term)) mark(v);
  for (const p of parts) {
    if (!reaches.has(p)) throw new FormatError(`architecture graph part ${p} feeds no loss term (its weights would never train); add a loss on it or on a part that reads it`);
  }
  return { ...t, forward, consumers, backward, writers };
}

/** The values a part's output depends on, with the part itself (for encode: the code's ancestors). */
export function ancestors(t: Topology, targets: readonly string[]): Set<string> {
  const out = new Set<string>();
  const visit = (v: string): void => {
    if (out.has(v) || isGraphInput(v)) return;
    out.add(v);
    for (const u of nodeInputs(t, v)) visit(u);
  };
  targets.forEach(visit);
  return out;
}

/** The nodes reading, directly or not, `from`'s output, with `from` itself. */
export function descendants(t: Topology, from: string): Set<string> {
  const out = new Set<string>([from]);
  for (const n of t.forward) if (nodeInputs(t, n).some((v) => out.has(v))) out.add(n);
  return out;
}
