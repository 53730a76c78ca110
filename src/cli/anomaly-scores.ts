// Per-sample anomaly scores of a model on a data set: the reconstruction MSE (mean over the
// sample's values, in the model's units, a VAE decoding z = z_mean) or a VAE's negative
// ELBO (summed BCE + KL in nats, one eps draw per sample). Computed on the model's
// inference graph batch by batch exactly as `evaluate` does (src/train/evaluate.ts: same
// batch, same seeded eps stream), so the mean of the scores is eval's mse or nelbo.

import type { Dataset } from '../data/dataset.js';
import { ArgumentError } from '../errors.js';
import type { Autoencoder } from '../models/autoencoder.js';
import type { ModelGraph } from '../models/graph.js';
import { KLLoss, ReconstructionLoss } from '../nn/losses.js';
import type { RunContext } from '../nn/layer.js';
import { RandomPurpose, RandomStream, streamKey } from '../random/streams.js';
import { labelData } from '../train/step.js';

export type ScoreKind = 'mse' | 'nelbo';
export const SCORE_KINDS: readonly ScoreKind[] = ['mse', 'nelbo'];

/** evaluate()'s batch and seed: the scores then average to its figures. */
const BATCH = 256;
const EVAL_SEED = 0x5eed;

/** Whether every value lies in [0, 1]: the negative ELBO's BCE needs such targets. */
function inUnitRange(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (!(values[i]! >= 0 && values[i]! <= 1)) return false;
  return true;
}

/** Refuses a score the model or data cannot give, before any work. */
export function checkScoreKind(model: Autoencoder, kind: ScoreKind, data: readonly Dataset[], file: string): void {
  if (kind !== 'nelbo') return;
  if (model.kind !== 'vae') throw new ArgumentError(`--score nelbo needs a variational autoencoder, but ${file} is a plain autoencoder; use --score mse`);
  if (!data.every((ds) => inUnitRange(ds.images))) {
    throw new ArgumentError(`--score nelbo needs data in [0, 1] (its reconstruction term is a binary cross-entropy), but the data leaves [0, 1] as ${file} sees it; use --score mse`);
  }
}

/** The graph's first loss term of a class (the negative ELBO's reconstruction and KL terms). */
function termOf<T>(g: ModelGraph, kind: abstract new (...args: never[]) => T): T {
  const term = g.terms.find((t) => t instanceof kind);
  if (!term) throw new ArgumentError(`--score nelbo needs the model's graph to have a ${kind.name} term`);
  return term as T;
}

/**
 * One score per sample of `ds` (float32 values, as the model computes them). A model whose
 * graph reads the label (a conditional VAE) is given each sample's own, as evaluate does;
 * the caller has checked that the data has labels (class-labels.ts requireLabels).
 */
export function anomalyScores(model: Autoencoder, ds: Dataset, kind: ScoreKind): Float32Array {
  const kernels = model.kernels;
  const out = new Float32Array(ds.n);
  if (ds.n === 0) return out;
  const batch = Math.min(BATCH, ds.n);
  const size = model.inputSize;
  const g = model.compile({ batch, training: false, loss: 'bce' });
  const ctx: RunContext = { kernels, training: false, noise: new RandomStream(streamKey(EVAL_SEED, RandomPurpose.sample)) };
  const labels = g.label ? labelData(kernels, ds, model.labelCount!, 'anomaly scoring data') : null;
  try {
    for (let start = 0; start < ds.n; start += batch) {
      const n = Math.min(batch, ds.n - start);
      kernels.heap.write(g.target.offset, ds.images.subarray(start * size, (start + n) * size));
      labels?.gather(null, start, n, g.label!.offset);
      // evaluate's order: the deterministic pass first, then the sampled one (same eps draws).
      g.forward(ctx, n, false);
      if (kind === 'mse') {
        out.set(kernels.heap.read(g.perSample('mse', n), n), start);
        continue;
      }
      g.forward(ctx, n, true);
      g.loss(n);
      const recon = kernels.heap.read(termOf(g, ReconstructionLoss).rows, n);
      const kl = kernels.heap.read(termOf(g, KLLoss).rows, n);
      for (let i = 0; i < n; i++) out[start + i] = recon[i]! + kl[i]!;
    }
  } finally {
    g.release();
    labels?.free();
  }
  return out;
}
