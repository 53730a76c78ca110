// Class probabilities of a model with a classifier, for BrowserModel.predict (and the cvae
// figure's separately trained classifier). The shared convention: a model's classifier is
// the part its sparse_categorical_crossentropy loss term reads (its logits); the
// probabilities are their softmax. A local statement of that rule (the first such term)
// beside models/classifier.ts's classifierPart, which states the same one; one should go.

import { ShapeError } from '../errors.js';
import type { Architecture } from './architecture.js';
import type { Autoencoder } from './autoencoder.js';
import { formatShape, sizeOf } from '../nn/tensor.js';
import { RandomStream } from '../random/streams.js';

/** The part read by the graph's (first) sparse categorical cross-entropy term; null without one. */
export function classifierPartOf(arch: Architecture): string | null {
  return arch.graph?.losses.find((t) => t.kind === 'sparse_categorical_crossentropy')?.output ?? null;
}

/** Largest batch one forward pass of predictProbabilities runs. */
const PREDICT_BATCH = 256;

/**
 * softmax of the classifier's logits for inputs [n, ...inputShape] (model space):
 * [n, classes], each row summing to 1. ShapeError for a model without a classifier, one
 * whose forward pass needs labels, or inputs that are no whole number of samples.
 */
export function predictProbabilities(model: Autoencoder, images: Float32Array): Float32Array {
  const part = classifierPartOf(model.architecture);
  if (part === null) throw new ShapeError('predict needs a model with a classifier (a graph with a sparse_categorical_crossentropy loss term); this one has none');
  if (model.readsLabels) throw new ShapeError("predict: this model's forward pass reads the label, so it cannot predict one");
  if (!(images instanceof Float32Array)) throw new ShapeError('predict: images must be a Float32Array');
  const per = model.inputSize;
  if (images.length === 0 || images.length % per !== 0) {
    throw new ShapeError(`predict: ${images.length} values is not a whole number of samples of shape ${formatShape(model.inputShape)} (${per} values each)`);
  }
  const bad = images.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new ShapeError(`predict: value ${images[bad]} at sample ${Math.floor(bad / per)}, element ${bad % per} is not finite`);
  const n = images.length / per;
  const batch = Math.min(n, PREDICT_BATCH);
  const g = model.compile({ batch, training: false, loss: 'mse' });
  try {
    const logits = g.valueOf(part);
    const classes = sizeOf(logits.shape.slice(1));
    const out = new Float32Array(n * classes);
    const ctx = { kernels: model.kernels, training: false, noise: new RandomStream(0) };
    for (let start = 0; start < n; start += batch) {
      const m = Math.min(batch, n - start);
      model.kernels.heap.write(g.input.offset, images.subarray(start * per, (start + m) * per));
      g.forward(ctx, m, false);
      // In place: the logits are not read again in this pass.
      model.kernels.softmaxForward(logits.offset, logits.offset, m, classes);
      out.set(model.kernels.heap.read(logits.offset, m * classes), start * classes);
    }
    return out;
  } finally {
    g.release();
  }
}
