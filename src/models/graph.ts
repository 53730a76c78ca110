// A compiled model graph: one static memory plan for a batch size, and the fixed list
// of kernel calls of a forward pass, its loss and its backward pass.
//
//   autoencoder: input -> encoder -> code -> decoder -> output
//   vae:         input -> encoder -> h -> z_mean (mu), z_log_var (lv)
//                z = mu + exp(lv / 2) eps -> decoder -> output
// The loss compares output with target (the clean batch; the same buffer as input
// unless the input gets noise). A sigmoid output with BCE is fused (from logits).

import { ShapeError } from '../errors.js';
import { Act, type Kernels } from '../kernels/kernels.js';
import type { Chain, ChainPlan } from '../nn/chain.js';
import type { RunContext } from '../nn/layer.js';
import { KLLoss, L1Penalty, ReconstructionLoss, type LossKind } from '../nn/losses.js';
import { Planner } from '../nn/planner.js';
import { sizeOf, type Tensor } from '../nn/tensor.js';

export interface GraphOptions {
  batch: number;
  /** Plan gradients (a training graph); otherwise forward and loss values only. */
  training: boolean;
  /** Reconstruction loss (the VAE sums it per image; others take Keras' mean). */
  loss: LossKind;
  /** L1 activity penalty weight on the code (sparse autoencoder). */
  l1?: number;
  /** VAE: weight of the KL term. */
  beta?: number;
  /** Give the input its own buffer (denoising: input = noisy copy of the target). */
  separateInput?: boolean;
}

export interface GraphParts {
  encoder: Chain;
  decoder: Chain;
  zMean?: Chain;
  zLogVar?: Chain;
}

export class ModelGraph {
  readonly batch: number;
  readonly input: Tensor;
  readonly target: Tensor;
  /** The code: the encoder's output, or z_mean for a VAE. */
  readonly code: Tensor;
  readonly logVar: Tensor | null = null;
  /** VAE: the sampled code fed to the decoder, and its noise. */
  readonly z: Tensor | null = null;
  readonly eps: Tensor | null = null;
  /** Where decode() writes codes: the code (autoencoder) or z (VAE). */
  readonly decoderInput: Tensor;
  readonly output: Tensor;
  readonly recon: ReconstructionLoss;
  readonly kl: KLLoss | null = null;
  readonly l1: L1Penalty | null = null;
  /** Loss parts of the last loss() call. */
  reconValue = 0;
  klValue = 0;
  l1Value = 0;

  private readonly pl: Planner;
  private readonly enc: ChainPlan;
  private readonly mu: ChainPlan | null = null;
  private readonly lv: ChainPlan | null = null;
  private readonly dec: ChainPlan;
  private readonly dz: Tensor | null = null;
  private readonly metricRows: number;
  private released = false;

  constructor(
    readonly kernels: Kernels,
    private readonly parts: GraphParts,
    inputShape: readonly number[],
    readonly options: GraphOptions,
  ) {
    const { batch, training } = options;
    if (!Number.isInteger(batch) || batch < 1) throw new ShapeError(`batch must be a positive integer, got ${batch}`);
    this.batch = batch;
    const pl = (this.pl = new Planner(kernels));
    const vae = !!parts.zMean;
    const fuse = options.loss === 'bce' && parts.decoder.outputActivation()?.activation === Act.sigmoid;

    this.target = pl.tensor([batch, ...inputShape]);
    this.input = options.separateInput ? pl.tensor([batch, ...inputShape]) : this.target;
    this.enc = parts.encoder.plan(pl, this.input, null, batch, training);
    if (vae) {
      // Both heads read h; the second head's backward adds into h's gradient.
      this.mu = parts.zMean!.plan(pl, this.enc.y, this.enc.dy, batch, training);
      this.lv = parts.zLogVar!.plan(pl, this.enc.y, this.enc.dy, batch, training);
      this.code = this.mu.y;
      this.logVar = this.lv.y;
      this.eps = pl.tensor(this.mu.y.shape);
      this.z = pl.tensor(this.mu.y.shape);
      this.dz = training ? pl.tensor(this.mu.y.shape) : null;
      this.decoderInput = this.z;
      this.dec = parts.decoder.plan(pl, this.z, this.dz, batch, training, fuse);
      this.kl = new KLLoss(options.beta ?? 1);
      this.kl.plan(pl, this.mu.y, this.lv.y, this.mu.dy, this.lv.dy, batch);
    } else {
      this.code = this.enc.y;
      this.decoderInput = this.enc.y;
      this.dec = parts.decoder.plan(pl, this.enc.y, this.enc.dy, batch, training, fuse);
    }
    this.output = this.dec.y;
    if (sizeOf(this.output.shape) !== sizeOf(this.target.shape)) {
      throw new ShapeError(`the decoder's output [${this.output.shape.slice(1).join(', ')}] does not match the input [${inputShape.join(', ')}]`);
    }
    this.recon = new ReconstructionLoss(options.loss, vae ? 'sum' : 'mean');
    this.recon.plan(pl, { pred: this.output, dpred: this.dec.dy, logits: this.dec.logits, dlogits: this.dec.dlogits, target: this.target }, batch);
    if (options.l1 && options.l1 > 0) {
      this.l1 = new L1Penalty(options.l1);
      this.l1.plan(pl, this.code, vae ? this.mu!.dy : this.enc.dy, batch);
    }
    this.metricRows = pl.scratch(batch);
  }

  get isVae(): boolean {
    return this.mu !== null;
  }

  /** Encoder (and VAE heads) over the first n samples of `input`. */
  forwardEncoder(ctx: RunContext, n: number): void {
    this.check(n);
    this.parts.encoder.forward(ctx, this.enc, n);
    if (this.mu) {
      this.parts.zMean!.forward(ctx, this.mu, n);
      this.parts.zLogVar!.forward(ctx, this.lv!, n);
    }
  }

  /**
   * VAE: z = mu + exp(lv / 2) eps, with eps drawn from ctx.noise when `sample`, else
   * eps = 0 (z = mu: deterministic encoding).
   */
  sampleCode(ctx: RunContext, n: number, sample: boolean): void {
    if (!this.mu) return;
    const count = n * sizeOf(this.code.shape.slice(1));
    const kernels = this.kernels;
    if (sample) kernels.randNormal(this.eps!.offset, count, ctx.noise.key, ctx.noise.take(count), 0, 1);
    else kernels.fill(this.eps!.offset, count, 0);
    kernels.reparamForward(this.code.offset, this.logVar!.offset, this.eps!.offset, this.z!.offset, count);
  }

  forwardDecoder(ctx: RunContext, n: number): void {
    this.check(n);
    this.parts.decoder.forward(ctx, this.dec, n);
  }

  /** The whole forward pass; a VAE samples eps when `sample` (training, ELBO). */
  forward(ctx: RunContext, n: number, sample = ctx.training): void {
    this.forwardEncoder(ctx, n);
    this.sampleCode(ctx, n, sample);
    this.forwardDecoder(ctx, n);
  }

  /** The training objective over the first n samples (after forward); parts kept in fields. */
  loss(n: number): number {
    const kernels = this.kernels;
    this.reconValue = this.recon.forward(kernels, n);
    this.klValue = this.kl ? this.kl.forward(kernels, n) : 0;
    this.l1Value = this.l1 ? this.l1.forward(kernels, n) : 0;
    return this.reconValue + (this.kl ? this.kl.weight * this.klValue : 0) + this.l1Value;
  }

  /** Gradients of loss() with respect to every parameter (after forward). */
  backward(ctx: RunContext, n: number): void {
    if (!this.options.training) throw new ShapeError('backward() needs a graph compiled with training: true');
    const kernels = this.kernels;
    this.recon.backward(kernels, n);
    this.parts.decoder.backward(ctx, this.dec, n);
    if (this.mu) {
      const count = n * sizeOf(this.code.shape.slice(1));
      kernels.reparamBackward(this.dz!.offset, this.logVar!.offset, this.eps!.offset, this.mu.dy!.offset, this.lv!.dy!.offset, count);
      this.kl!.backward(kernels, n);
      this.l1?.backward(kernels, n);
      this.parts.zMean!.backward(ctx, this.mu, n);
      this.parts.zLogVar!.backward(ctx, this.lv!, n, true);
    } else {
      this.l1?.backward(kernels, n);
    }
    this.parts.encoder.backward(ctx, this.enc, n);
  }

  /**
   * After a training step's update: every layer folds what this step's forward measured into
   * its non-trainable state (BatchNormalization's moving statistics). The trainer skips it
   * for a step that diverged.
   */
  commitState(ctx: RunContext): void {
    const p = this.parts;
    const chains: [Chain | undefined, ChainPlan | null][] = [[p.encoder, this.enc], [p.zMean, this.mu], [p.zLogVar, this.lv], [p.decoder, this.dec]];
    for (const [chain, plan] of chains) {
      if (!chain || !plan) continue;
      chain.layers.forEach((layer, i) => layer.commitState(ctx, plan.buffers[i]!));
    }
  }

  /**
   * Per-sample reconstruction error of output vs target after forward: writes into the
   * graph's metric rows and returns its offset (n values: mean over elements).
   */
  perSample(kind: LossKind, n: number): number {
    const cols = sizeOf(this.target.shape.slice(1));
    if (kind === 'mse') this.kernels.mseForward(this.output.offset, this.target.offset, this.metricRows, n, cols);
    else this.kernels.bceForward(this.output.offset, this.target.offset, this.metricRows, n, cols);
    this.kernels.scale(this.metricRows, 1 / cols, this.metricRows, n);
    return this.metricRows;
  }

  /** Frees the plan's buffers; the graph must not be used afterwards. */
  release(): void {
    if (this.released) return;
    this.pl.release();
    this.released = true;
  }

  private check(n: number): void {
    if (this.released) throw new ShapeError('this compiled graph was released');
    if (!Number.isInteger(n) || n < 1 || n > this.batch) throw new ShapeError(`a step of ${n} samples does not fit a graph compiled for batch ${this.batch}`);
  }
}
