// Loss nodes: each computes its value (returned to JS as a number) and writes its
// gradient into the graph. Reductions follow Keras: "mean" averages over every element
// (Keras' MSE / BCE on equal-size samples); "sum" sums over each sample's elements and
// averages over the batch (the VAE's per-image reconstruction term).

import type { Kernels } from '../kernels/kernels.js';
import { labelElements, labelView } from '../kernels/labels.js';
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
  /** When another consumer already wrote the gradient: this term's own, added after. */
  private own = -1;

  constructor(
    readonly kind: LossKind,
    readonly reduction: Reduction,
    readonly weight = 1,
  ) {}

  /** `accumulate`: add into the gradient (another writer came first) instead of overwriting it. */
  plan(pl: Planner, t: LossTensors, batch: number, accumulate = false): void {
    this.t = t;
    this.cols = sizeOf(t.pred.shape.slice(1));
    this.rows = pl.scratch(batch);
    if (accumulate && t.dpred) this.own = pl.scratch(batch * this.cols);
  }


  /** The (unweighted) loss value over the first n samples. */
  forward(kernels: Kernels, n: number): number {
    const { pred, logits, target } = this.t;
    if (this.kind === 'mse') kernels.mseForward(pred.offset, target.offset, this.rows, n, this.cols);
    else if (logits) kernels.bceLogitsForward(logits.offset, target.offset, this.rows, n, this.cols);
    else kernels.bceForward(pred.offset, target.offset, this.rows, n, this.cols);
    return kernels.sum(this.rows, n) / this.denominator(n);
  }

  /** Writes weight x d(loss)/d(output) (or d/d(logits) when fused); overwrites, or adds when planned to accumulate. */
  backward(kernels: Kernels, n: number): void {
    const { pred, dpred, logits, dlogits, target } = this.t;
    const count = n * this.cols;
    const scale = this.weight / this.denominator(n);
    const into = this.own >= 0 ? this.own : (logits ? dlogits! : dpred!).offset;
    if (this.kind === 'mse') kernels.mseBackward(pred.offset, target.offset, into, count, scale);
    else if (logits) kernels.bceLogitsBackward(logits.offset, target.offset, into, count, scale);
    else kernels.bceBackward(pred.offset, target.offset, into, count, scale);
    if (this.own >= 0) kernels.add(dpred!.offset, this.own, dpred!.offset, count);
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

  /** Whether this term writes dmu / dlv first (copies instead of adding). */
  private first = { mu: false, lv: false };

  constructor(public weight: number) {}

  plan(pl: Planner, mu: Tensor, lv: Tensor, dmu: Tensor | null, dlv: Tensor | null, batch: number, first = { mu: false, lv: false }): void {
    this.first = first;
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


  /** Accumulates weight / n times the KL gradient into dmu and dlv (which the reparameterisation's backward wrote), or writes it where it comes first. */
  backward(kernels: Kernels, n: number): void {
    const count = n * this.cols;
    kernels.klBackward(this.mu.offset, this.lv.offset, this.gradMu, this.gradLv, count, this.weight / n);
    if (this.first.mu) kernels.copy(this.gradMu, this.dmu!.offset, count);
    else kernels.add(this.dmu!.offset, this.gradMu, this.dmu!.offset, count);
    if (this.first.lv) kernels.copy(this.gradLv, this.dlv!.offset, count);
    else kernels.add(this.dlv!.offset, this.gradLv, this.dlv!.offset, count);
  }
}

/** Keras-style L1 activity penalty on a tensor: weight * sum |x| / batch. */
export class L1Penalty {
  private x!: Tensor;
  private dx: Tensor | null = null;
  private tmp = -1;
  private cols = 0;

  /** Whether this term writes dx first (clears it before adding). */
  private first = false;

  constructor(public weight: number) {}

  plan(pl: Planner, x: Tensor, dx: Tensor | null, batch: number, first = false): void {
    this.first = first;
    this.x = x;
    this.dx = dx;
    this.cols = sizeOf(x.shape.slice(1));
    this.tmp = pl.scratch(batch * this.cols);
  }

  /** The penalty, weight included (the weight applied before the division, as always). */
  forward(kernels: Kernels, n: number): number {
    const count = n * this.cols;
    kernels.abs(this.x.offset, this.tmp, count);
    return (this.weight * kernels.sum(this.tmp, count)) / n;
  }


  /** Accumulates weight / n * sign(x) into dx. */
  backward(kernels: Kernels, n: number): void {
    const count = n * this.cols;
    if (this.first) kernels.fill(this.dx!.offset, count, 0);
    kernels.sign(this.x.offset, this.tmp, count);
    kernels.axpy(this.weight / n, this.tmp, this.dx!.offset, count);
  }
}

/**
 * Sparse categorical cross-entropy from logits against the graph's one-hot labels (Keras'
 * reduction: mean over the batch), weighted. The kernels take class indices: forward
 * writes each row's index from its one-hot row first.
 */
export class SoftmaxCrossEntropy {
  private logits!: Tensor;
  private dlogits: Tensor | null = null;
  private onehot!: Tensor;
  /** The labels as int32 class indices (labelElements(batch) elements). */
  private labels = -1;
  private classes = 0;
  rows = -1;
  /** When another consumer already wrote dlogits: this term's own gradient, added after. */
  private own = -1;

  constructor(readonly weight: number) {}

  plan(pl: Planner, logits: Tensor, dlogits: Tensor | null, onehot: Tensor, batch: number, accumulate = false): void {
    this.logits = logits;
    this.dlogits = dlogits;
    this.onehot = onehot;
    this.classes = sizeOf(logits.shape.slice(1));
    this.labels = pl.scratch(labelElements(pl.kernels.heap, batch));
    this.rows = pl.scratch(batch);
    if (accumulate && dlogits) this.own = pl.scratch(batch * this.classes);
  }

  /** Mean over the first n samples of -log p(label). */
  forward(kernels: Kernels, n: number): number {
    const d = kernels.heap.data;
    const lab = labelView(kernels.heap, this.labels, n);
    const k = this.classes;
    for (let r = 0; r < n; r++) {
      let c = 0;
      while (c < k - 1 && d[this.onehot.offset + r * k + c] !== 1) c++;
      lab[r] = c;
    }
    kernels.softmaxCrossEntropyForward(this.logits.offset, this.labels, this.rows, n, this.classes);
    return kernels.sum(this.rows, n) / n;
  }

  backward(kernels: Kernels, n: number): void {
    const into = this.own >= 0 ? this.own : this.dlogits!.offset;
    kernels.softmaxCrossEntropy(this.logits.offset, this.labels, this.rows, into, n, this.classes, this.weight / n);
    if (this.own >= 0) kernels.add(this.dlogits!.offset, this.own, this.dlogits!.offset, n * this.classes);
  }
}

/** A term of a graph's objective. */
export type LossNode = ReconstructionLoss | KLLoss | L1Penalty | SoftmaxCrossEntropy;
