// Which part of a model is its classifier. The convention every command and the library
// share (predict, eval's accuracy, train's per-epoch accuracy, classify's models): the
// classifier is the part read by the graph's sparse_categorical_crossentropy loss term
// (the first such term when there are several); its output is the class logits, and the
// class probabilities are their softmax. A model without such a term has no classifier.

import { UnsupportedError } from '../errors.js';
import type { GraphRecord } from './graph-record.js';

/** The part the first sparse categorical cross-entropy term reads, or null when the graph has none (every preset of the default wiring). */
export function classifierPart(graph: GraphRecord | undefined): string | null {
  const term = graph?.losses.find((t) => t.kind === 'sparse_categorical_crossentropy');
  return term?.output ?? null;
}

/**
 * The classifier part, or an UnsupportedError saying that `what` (predict, --confusion)
 * needs one and naming `model`'s parts.
 */
export function requireClassifier(graph: GraphRecord | undefined, parts: Iterable<string>, what: string, model: string): string {
  const part = classifierPart(graph);
  if (part !== null) return part;
  throw new UnsupportedError(`${what} needs a model with a classifier (a part read by a sparse_categorical_crossentropy loss term); ${model} has parts ${[...parts].join(', ')}`);
}
