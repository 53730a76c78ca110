// Per-sample shapes along a graph of parts, checked at every edge and loss term: the dry
// run (plan.ts) and the Autoencoder's build walk the graph with this, so both see the
// same shapes and refuse the same mismatches (a ShapeError naming the edge or the term).

import { ShapeError } from '../errors.js';
import { formatShape, sameShape, sizeOf, type Shape } from '../nn/tensor.js';
import type { GraphRecord } from './graph-record.js';
import type { Derived, Topology } from './graph-topology.js';

/** The shape of a concatenation or a sampling from the shapes of what it reads. */
export function derivedShape(key: string, d: Derived, shapes: ReadonlyMap<string, Shape>, strict = true): Shape {
  if (d.kind === 'sample') {
    const m = shapes.get(d.mean)!;
    const lv = shapes.get(d.logVar)!;
    if (strict && !sameShape(m, lv)) throw new ShapeError(`graph edge ${key}: ${d.mean} outputs ${formatShape(m)} but ${d.logVar} outputs ${formatShape(lv)}; the mean and log-variance must match`);
    return m;
  }
  const first = shapes.get(d.sources[0]!)!;
  let last = 0;
  for (const s of d.sources) {
    const shape = shapes.get(s)!;
    const lead = shape.slice(0, -1);
    if (shape.length !== first.length || !sameShape(lead, first.slice(0, -1))) {
      throw new ShapeError(
        `graph edge ${key}: ${s} is ${formatShape(shape)} but ${d.sources[0]} is ${formatShape(first)}; a concatenation along the last axis needs every other dimension equal`,
      );
    }
    last += shape[shape.length - 1]!;
  }
  return [...first.slice(0, -1), last];
}

/**
 * Walks the forward order: `buildPart` builds a part on its input's shape and returns its
 * output's; `onDerived` sees each concatenation's and sampling's shape (the plan counts
 * them against the limits before any part reads them). Then, with `checkLosses` (a record's own graph; the default wiring's callers say
 * in their own words that the decoder must give back the input), checks every loss term
 * against the shapes. Returns every value's shape.
 */
export function walkGraph(
  g: GraphRecord, t: Topology, inputShape: Shape, buildPart: (part: string, input: Shape) => Shape, checkLosses = true,
  onDerived?: (node: string, shape: Shape) => void,
): Map<string, Shape> {
  const shapes = new Map<string, Shape>([['input', inputShape]]);
  if (g.labels !== undefined) shapes.set('label', [g.labels]);
  for (const node of t.forward) {
    const d = t.derived.get(node);
    if (d) {
      const shape = derivedShape(node, d, shapes, checkLosses);
      onDerived?.(node, shape);
      shapes.set(node, shape);
    } else shapes.set(node, buildPart(node, shapes.get(t.partInput.get(node)!)!));
  }
  if (!checkLosses) return shapes;
  g.losses.forEach((term, i) => {
    const at = `graph loss ${i} (${term.kind})`;
    if (term.kind === 'kl') {
      const m = shapes.get(term.mean!)!;
      const lv = shapes.get(term.log_var!)!;
      if (!sameShape(m, lv)) throw new ShapeError(`${at}: ${term.mean} outputs ${formatShape(m)} but ${term.log_var} outputs ${formatShape(lv)}; they must match`);
      return;
    }
    const out = shapes.get(term.output!)!;
    if (term.kind === 'l1') return;
    if (term.kind === 'sparse_categorical_crossentropy') {
      if (out.length !== 1 || out[0] !== g.labels) throw new ShapeError(`${at}: ${term.output} outputs ${formatShape(out)} but the labels need logits [${g.labels}]`);
      return;
    }
    const target = shapes.get(term.target!)!;
    if (sizeOf(out) !== sizeOf(target)) {
      throw new ShapeError(`${at}: ${term.output} outputs ${formatShape(out)} but its target ${term.target} is ${formatShape(target)}; they must have the same size`);
    }
  });
  return shapes;
}
