// Loss nodes: each computes its value (returned to JS as a number) and writes its
// gradient into the graph. Reductions follow Keras: "mean" averages over every element
// (Keras' MSE / BCE on equal-size samples); "sum" sums over each sample's elements and
// averages over the batch (the VAE's per-image reconstruction term).

import type { Kernels } from '../kernels/kernels.js';
import type { Planner } from './planner.js';
import { sizeOf, type Tensor } from './tensor.js';

export type LossKind = 'mse' | 'bce';
export type Reduction = 'mean' | 'sum';

export interface LossTensors {
  /** The model's output (probabilities for BCE) and its gradient. */
  pred: Tensor;
  dpred: Tensor | null;
  /** When set, BCE is computed from these logits and its gradient written to dlogits. */
  logits: Tensor | null;
  dlogits: Tensor | null;
  target: Tensor;
}

export class ReconstructionLoss {
  private t!: LossTensors;
  private cols = 0;
  /** Per-sample sums of the loss over elements, after forward. */
  rows = -1;

  constructor(
    readonly kind: LossKind,
    readonly reduction: Reduction,
  ) {}

  plan(pl: Planner, t: LossTensors, batch: number): void {
    this.t = t;
    this.cols = sizeOf(t.pred.shape.slice(1));
    this.rows = pl.scratch(batch);
  }

  /** The loss value over the first n samples. */
  forward(kernels: Kernels, n: number): number {
    const { pred, logits, target } = this.t;
    if (this.kind === 'mse') kernels.mseForward(pred.offset, target.offset, this.rows, n, this.cols);
    else if (logits) kernels.bceLogitsForward(logits.offset, target.offset, this.rows, n, this.cols);
    else kernels.bceForward(pred.offset, target.offset, this.rows, n, this.cols);
    return kernels.sum(this.rows, n) / this.denominator(n);
  }

  /** Writes d(loss)/d(output) (or d/d(logits) when fused); overwrites. */
  backward(kernels: Kernels, n: number): void {
    const { pred, dpred, logits, dlogits, target } = this.t;
    const count = n * this.cols;
    const scale = 1 / this.denominator(n);
    if (this.kind === 'mse') kernels.mseBackward(pred.offset, target.offset, dpred!.offset, count, scale);
    else if (logits) kernels.bceLogitsBackward(logits.offset, target.offset, dlogits!.offset, count, scale);
    else kernels.bceBackward(pred.offset, target.offset, dpred!.offset, count, scale);
  }

  private denominator(n: number): number {
    return this.reduction === 'mean' ? n * this.cols : n;
  }
}

/** weight * mean over the batch of KL(N(mu, exp(lv)) || N(0, 1)) summed over the code. */
export class KLLoss {
  private mu!: Tensor;
  private lv!: Tensor;
  private dmu: Tensor | null = null;
  private dlv: Tensor | null = null;
  private cols = 0;
  rows = -1;
  /** The KL's own gradients (the kernel overwrites), added into dmu and dlv. */
  private gradMu = -1;
  private gradLv = -1;

  constructor(public weight: number) {}

  plan(pl: Planner, mu: Tensor, lv: Tensor, dmu: Tensor | null, dlv: Tensor | null, batch: number): void {
    this.mu = mu;
    this.lv = lv;
    this.dmu = dmu;
    this.dlv = dlv;
    this.cols = sizeOf(mu.shape.slice(1));
    this.rows = pl.scratch(batch);
    if (dmu && dlv) {
      this.gradMu = pl.scratch(batch * this.cols);
      this.gradLv = pl.scratch(batch * this.cols);
    }
  }

  /** The unweighted mean KL per sample. */
  forward(kernels: Kernels, n: number): number {
    kernels.klForward(this.mu.offset, this.lv.offset, this.rows, n, this.cols);
    return kernels.sum(this.rows, n) / n;
  }

  /** Accumulates weight / n times the KL gradient into dmu and dlv (which the reparameterisation's backward wrote). */
  backward(kernels: Kernels, n: number): void {
    const count = n * this.cols;
    kernels.klBackward(this.mu.offset, this.lv.offset, this.gradMu, this.gradLv, count, this.weight / n);
    kernels.add(this.dmu!.offset, this.gradMu, this.dmu!.offset, count);
    kernels.add(this.dlv!.offset, this.gradLv, this.dlv!.offset, count);
  }
}

/** Keras-style L1 activity penalty on a tensor: weight * sum |x| / batch. */
export class L1Penalty {
  private x!: Tensor;
  private dx: Tensor | null = null;
  private tmp = -1;
  private cols = 0;

  constructor(public weight: number) {}

  plan(pl: Planner, x: Tensor, dx: Tensor | null, batch: number): void {
    this.x = x;
    this.dx = dx;
    this.cols = sizeOf(x.shape.slice(1));
    this.tmp = pl.scratch(batch * this.cols);
  }

  forward(kernels: Kernels, n: number): number {
    const count = n * this.cols;
    kernels.abs(this.x.offset, this.tmp, count);
    return (this.weight * kernels.sum(this.tmp, count)) / n;
  }

  /** Accumulates weight / n * sign(x) into dx. */
  backward(kernels: Kernels, n: number): void {
    const count = n * this.cols;
    kernels.sign(this.x.offset, this.tmp, count);
    kernels.axpy(this.weight / n, this.tmp, this.dx!.offset, count);
  }
}
