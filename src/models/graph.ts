// A compiled model graph: one static memory plan for a batch size, and the fixed list
// of kernel calls of a forward pass, its loss terms and its backward pass, over a graph of
// parts (graph-record.ts; the default wiring when the record has none):
//
//   autoencoder: input -> encoder -> code -> decoder -> output
//   vae:         input -> encoder -> h -> z_mean (mu), z_log_var (lv)
//                z = mu + exp(lv / 2) eps -> decoder -> output
//   any graph:   parts reading the input, the one-hot label, other parts' outputs or a
//                concatenation of several; weighted loss terms on named outputs.
//
// A reconstruction term compares an output with its target (the clean batch "input": the
// same buffer the model reads unless the input gets noise). A BCE term on a sigmoid output
// nothing else reads is fused (from logits). Gradients flowing into one tensor from several
// writers accumulate: the first writer in the backward schedule (graph-topology.ts)
// overwrites, the others add — natively where the layer can (Dense), else through a buffer
// of their own.
//
// A frozen part (ParamStore.freeze) keeps its weights: a training graph plans it without
// gradients, runs it in inference mode (as Keras' transfer-learning guide calls a frozen
// base with training=False: BatchNormalization on its moving statistics, no dropout or
// noise), never commits its state and skips its backward. So it may read only values that
// need no gradient (the input, the label, other frozen parts), and no loss term or
// sampling may read it.

import { ShapeError } from '../errors.js';
import { Act, type Kernels } from '../kernels/kernels.js';
import type { Chain, ChainPlan } from '../nn/chain.js';
import { Concat } from '../nn/concat.js';
import type { RunContext } from '../nn/layer.js';
import { KLLoss, L1Penalty, ReconstructionLoss, SoftmaxCrossEntropy, type LossKind, type LossNode } from '../nn/losses.js';
import { Planner } from '../nn/planner.js';
import { formatShape, sizeOf, type Shape, type Tensor } from '../nn/tensor.js';
import type { GraphRecord } from './graph-record.js';
import { ancestors, descendants, lossTensors, type Topology } from './graph-topology.js';

export interface GraphOptions {
  batch: number;
  /** Plan gradients (a training graph); otherwise forward and loss values only. */
  training: boolean;
  /** Reconstruction loss of the default wiring (the VAE sums it per image; others take Keras' mean). */
  loss: LossKind;
  /** Default wiring: L1 activity penalty weight on the code (sparse autoencoder). */
  l1?: number;
  /** Default wiring, VAE: weight of the KL term. */
  beta?: number;
  /** Give the input its own buffer (denoising: input = noisy copy of the target). */
  separateInput?: boolean;
  /** Parts whose weights stay fixed in training (Autoencoder.compile passes the model's frozen parts). */
  frozen?: ReadonlySet<string>;
}

interface Value {
  y: Tensor;
  dy: Tensor | null;
}

interface SampleNode {
  mu: Tensor;
  lv: Tensor;
  eps: Tensor;
  z: Tensor;
  dz: Tensor | null;
  /** Where reparamBackward writes: the heads' gradients, or buffers of its own added into them. */
  dmu: Tensor | null;
  dlv: Tensor | null;
  /** The heads' gradients when dmu / dlv are buffers of its own (null: written in place). */
  addMu: Tensor | null;
  addLv: Tensor | null;
  count: number;
}

interface PartNode {
  chain: Chain;
  plan: ChainPlan;
  /** Adds into its input's gradient natively (the first layer accumulates). */
  accumulate: boolean;
  /** A gradient buffer of its own, added into `addInto` after its backward. */
  own: Tensor | null;
  addInto: Tensor | null;
  /** Frozen in this training graph: inference-mode forward, no backward, no state commit. */
  frozen: boolean;
}

export class ModelGraph {
  readonly batch: number;
  readonly input: Tensor;
  readonly target: Tensor;
  /** The one-hot labels [batch, classes] the trainer feeds, when the graph reads them. */
  readonly label: Tensor | null;
  /** The code: the encoder's output, or z_mean for a VAE. */
  readonly code: Tensor;
  readonly logVar: Tensor | null = null;
  /** VAE: the sampled code fed to the decoder, and its noise. */
  readonly z: Tensor | null = null;
  readonly eps: Tensor | null = null;
  /** Where decode() writes codes: the decoder part's input (the code, or z for a VAE; z beside the label for a conditional VAE). */
  readonly decoderInput: Tensor | null;
  /** Whether decode() also fills `label` (the decoder reads [code, label]). */
  readonly decoderReadsLabel: boolean = false;
  readonly output: Tensor;
  /** The loss terms, in the record's order, and their unweighted values after loss(). */
  readonly terms: LossNode[] = [];
  readonly termValues: Float64Array;
  /** Loss parts of the last loss() call (the first term of each kind; l1 weighted, as always). */
  reconValue = 0;
  klValue = 0;
  l1Value = 0;

  private readonly pl: Planner;
  private readonly values = new Map<string, Value>();
  private readonly partNodes = new Map<string, PartNode>();
  private readonly samples = new Map<string, SampleNode>();
  private readonly concats = new Map<string, Concat>();
  private readonly encodeNodes: string[];
  private readonly decodeNodes: string[];
  /** The sample node z comes from (VAE), run between encode and decode. */
  private readonly codeSample: string | null = null;
  private readonly metricRows: number;
  private released = false;
  /** The inference-mode context frozen parts run in, made once per training context. */
  private frozenCtx: { of: RunContext; ctx: RunContext } | null = null;

  constructor(
    readonly kernels: Kernels,
    private readonly chains: ReadonlyMap<string, Chain>,
    private readonly topo: Topology,
    readonly graph: GraphRecord,
    inputShape: readonly number[],
    readonly options: GraphOptions,
  ) {
    const { batch, training } = options;
    if (!Number.isInteger(batch) || batch < 1) throw new ShapeError(`batch must be a positive integer, got ${batch}`);
    this.batch = batch;
    const pl = (this.pl = new Planner(kernels));
    const first = (v: string, who: string) => topo.writers.get(v)?.[0] === who;
    const grad = (shape: Shape) => (training ? pl.tensor(shape) : null);

    this.target = pl.tensor([batch, ...inputShape]);
    this.input = options.separateInput ? pl.tensor([batch, ...inputShape]) : this.target;
    const readsLabel = topo.consumers.has('label') || graph.losses.some((t) => t.target === 'label');
    this.label = readsLabel ? pl.tensor([batch, graph.labels!]) : null;
    this.values.set('input', { y: this.input, dy: null });
    if (this.label) this.values.set('label', { y: this.label, dy: null });

    for (const node of topo.forward) {
      const d = topo.derived.get(node);
      if (d?.kind === 'sample') {
        const mu = this.values.get(d.mean)!;
        const lv = this.values.get(d.logVar)!;
        const eps = pl.tensor(mu.y.shape);
        const z = pl.tensor(mu.y.shape);
        if (training && (!mu.dy || !lv.dy)) throw new ShapeError(`the sampling ${node} reads a frozen part (${!mu.dy ? d.mean : d.logVar}); a sampling needs the gradients of both its parts`);
        const dz = grad(mu.y.shape);
        const ownMu = training && !first(d.mean, node);
        const ownLv = training && !first(d.logVar, node);
        this.samples.set(node, {
          mu: mu.y, lv: lv.y, eps, z, dz,
          dmu: ownMu ? pl.tensor(mu.y.shape) : mu.dy, dlv: ownLv ? pl.tensor(lv.y.shape) : lv.dy,
          addMu: ownMu ? mu.dy : null, addLv: ownLv ? lv.dy : null,
          count: sizeOf(mu.y.shape.slice(1)),
        });
        this.values.set(node, { y: z, dy: dz });
      } else if (d?.kind === 'concat') {
        const srcs = d.sources.map((s) => ({ ...this.values.get(s)!, name: s }));
        const last = srcs.reduce((w, s) => w + s.y.shape[s.y.shape.length - 1]!, 0);
        const shape = [...srcs[0]!.y.shape.slice(0, -1), last];
        const y = pl.tensor(shape);
        // No gradient when none of its sources takes one (the input, the label, frozen parts).
        const dy = srcs.some((s) => s.dy !== null) ? grad(shape) : null;
        this.concats.set(node, new Concat(srcs.map((s) => ({ x: s.y, dx: training ? s.dy : null, first: first(s.name, node) })), y, dy));
        this.values.set(node, { y, dy });
      } else {
        const chain = chains.get(node)!;
        const input = topo.partInput.get(node)!;
        const src = this.values.get(input)!;
        const frozen = training && (options.frozen?.has(node) ?? false);
        if (frozen && src.dy !== null) throw new ShapeError(`part ${node} is frozen but reads ${input}, which trains; freeze the parts it reads too`);
        const n = this.planPart(pl, node, chain, src, training && src.dy !== null, first(input, node), frozen);
        this.values.set(node, { y: n.plan.y, dy: n.plan.dy });
      }
    }

    graph.losses.forEach((term, i) => {
      const who = `loss ${i}`;
      const at = (v: string) => this.values.get(v)!;
      const still = training ? lossTensors(term).find((v) => this.values.get(v)!.dy === null) : undefined;
      if (still !== undefined) throw new ShapeError(`loss ${i} (${term.kind}) reads ${still}, which is frozen: its gradient would reach no weight`);
      if (term.kind === 'kl') {
        const kl = new KLLoss(term.weight);
        const mu = at(term.mean!);
        const lv = at(term.log_var!);
        kl.plan(pl, mu.y, lv.y, mu.dy, lv.dy, batch, { mu: first(term.mean!, who), lv: first(term.log_var!, who) });
        this.terms.push(kl);
      } else if (term.kind === 'l1') {
        const l1 = new L1Penalty(term.weight);
        const x = at(term.output!);
        l1.plan(pl, x.y, x.dy, batch, first(term.output!, who));
        this.terms.push(l1);
      } else if (term.kind === 'sparse_categorical_crossentropy') {
        const ce = new SoftmaxCrossEntropy(term.weight);
        const x = at(term.output!);
        ce.plan(pl, x.y, x.dy, this.label!, batch, !first(term.output!, who));
        this.terms.push(ce);
      } else {
        const part = this.partNodes.get(term.output!)!;
        const recon = new ReconstructionLoss(term.kind, term.reduction ?? 'mean', term.weight);
        const fused = part.plan.logits !== null && this.fuses(term.output!);
        recon.plan(pl, {
          pred: part.plan.y, dpred: part.plan.dy, logits: fused ? part.plan.logits : null, dlogits: fused ? part.plan.dlogits : null,
          // "input" as a target is the clean batch (the model reads a noisy copy when denoising).
          target: term.target === 'input' ? this.target : at(term.target!).y,
        }, batch, !first(term.output!, who));
        this.terms.push(recon);
      }
    });
    this.termValues = new Float64Array(this.terms.length);

    this.code = this.values.get(graph.code)!.y;
    this.output = this.values.get(graph.output)!.y;
    const sample = [...this.samples.entries()].find(([, s]) => s.mu === this.code);
    if (sample) {
      this.codeSample = sample[0];
      this.logVar = sample[1].lv;
      this.eps = sample[1].eps;
      this.z = sample[1].z;
    }
    const d = sample ? topo.derived.get(sample[0]) : undefined;
    const enc = ancestors(topo, d?.kind === 'sample' ? [graph.code, d.logVar] : [graph.code]);
    this.encodeNodes = topo.forward.filter((n) => enc.has(n));
    const decoder = graph.decoder ?? (chains.has('decoder') ? 'decoder' : null);
    if (decoder) {
      const read = topo.partInput.get(decoder)!;
      // A decoder reading [code, label] (a conditional VAE's [z, label]): decode writes the
      // codes into the code's tensor and the one-hot labels into the label's, then runs the
      // concatenation before the decoder.
      const edge = topo.derived.get(read);
      const code = edge?.kind === 'concat' && edge.sources.length === 2 && edge.sources.includes('label') ? edge.sources.find((s) => s !== 'label')! : null;
      const dec = descendants(topo, decoder);
      if (code !== null) dec.add(read);
      this.decodeNodes = topo.forward.filter((n) => dec.has(n));
      this.decoderInput = this.values.get(code ?? read)!.y;
      this.decoderReadsLabel = code !== null;
    } else {
      this.decodeNodes = [];
      this.decoderInput = null;
    }
    this.metricRows = pl.scratch(batch);
  }

  /** Plans one part reading `src`; a later writer of src's gradient adds natively or through a buffer of its own. */
  private planPart(pl: Planner, name: string, chain: Chain, src: Value, needsDx: boolean, firstWriter: boolean, frozen: boolean): PartNode {
    const fuse = this.fuses(name);
    const viewFirst = chain.layers[0]!.className === 'Flatten' || chain.layers[0]!.className === 'Reshape';
    const native = needsDx && !firstWriter && chain.canAccumulate && !viewFirst;
    const own = needsDx && !firstWriter && !native ? pl.tensor(src.dy!.shape) : null;
    const plan = chain.plan(pl, src.y, needsDx ? (own ?? src.dy) : null, this.batch, this.options.training && !frozen, fuse);
    const node: PartNode = { chain, plan, accumulate: native, own, addInto: own ? src.dy : null, frozen };
    this.partNodes.set(name, node);
    return node;
  }

  /** A BCE term fuses with a sigmoid output when it is the only writer of that output's gradient. */
  private fuses(part: string): boolean {
    const writers = this.topo.writers.get(part) ?? [];
    if (writers.length !== 1 || !writers[0]!.startsWith('loss ')) return false;
    const term = this.graph.losses[Number(writers[0]!.slice(5))]!;
    return term.kind === 'bce' && this.chains.get(part)!.outputActivation()?.activation === Act.sigmoid;
  }

  /** A part's output (or "input", "label", a derived edge's value), after forward: e.g. a classifier's logits. */
  valueOf(name: string): Tensor {
    const v = this.values.get(name);
    if (!v) throw new ShapeError(`this graph has no part ${JSON.stringify(name)}; its parts are ${[...this.partNodes.keys()].join(', ')}`);
    return v.y;
  }

  get isVae(): boolean {
    return this.codeSample !== null;
  }

  /** Encoder (and VAE heads) over the first n samples of `input`. */
  forwardEncoder(ctx: RunContext, n: number): void {
    this.check(n);
    for (const node of this.encodeNodes) this.forwardNode(ctx, node, n, false);
  }

  /**
   * VAE: z = mu + exp(lv / 2) eps, with eps drawn from ctx.noise when `sample`, else
   * eps = 0 (z = mu: deterministic encoding).
   */
  sampleCode(ctx: RunContext, n: number, sample: boolean): void {
    if (this.codeSample) this.forwardNode(ctx, this.codeSample, n, sample);
  }

  forwardDecoder(ctx: RunContext, n: number): void {
    this.check(n);
    if (!this.decoderInput) throw new ShapeError('decode needs a graph with a decoder part (the graph names none)');
    for (const node of this.decodeNodes) this.forwardNode(ctx, node, n, false);
  }

  /** The whole forward pass; sampling edges draw eps when `sample` (training, ELBO). */
  forward(ctx: RunContext, n: number, sample = ctx.training): void {
    this.check(n);
    for (const node of this.topo.forward) this.forwardNode(ctx, node, n, sample);
  }

  private forwardNode(ctx: RunContext, node: string, n: number, sample: boolean): void {
    const kernels = this.kernels;
    const s = this.samples.get(node);
    if (s) {
      const count = n * s.count;
      if (sample) kernels.randNormal(s.eps.offset, count, ctx.noise.key, ctx.noise.take(count), 0, 1);
      else kernels.fill(s.eps.offset, count, 0);
      kernels.reparamForward(s.mu.offset, s.lv.offset, s.eps.offset, s.z.offset, count);
      return;
    }
    const c = this.concats.get(node);
    if (c) return c.forward(kernels, n);
    const p = this.partNodes.get(node)!;
    p.chain.forward(p.frozen ? this.inferenceContext(ctx) : ctx, p.plan, n);
  }

  /** ctx in inference mode (allocated once per training context, not per step). */
  private inferenceContext(ctx: RunContext): RunContext {
    if (!ctx.training) return ctx;
    if (this.frozenCtx?.of !== ctx) this.frozenCtx = { of: ctx, ctx: { ...ctx, training: false } };
    return this.frozenCtx.ctx;
  }

  /** The training objective over the first n samples (after forward): the weighted sum of the terms, in order. */
  loss(n: number): number {
    const kernels = this.kernels;
    let total = 0;
    let recon = -1;
    let kl = -1;
    let l1 = -1;
    this.terms.forEach((t, i) => {
      // An L1 penalty's value carries its weight (as it always has); the others' do not.
      const value = (this.termValues[i] = t.forward(kernels, n));
      total += t instanceof L1Penalty ? value : t.weight * value;
      if (t instanceof ReconstructionLoss && recon < 0) recon = i;
      if (t instanceof KLLoss && kl < 0) kl = i;
      if (t instanceof L1Penalty && l1 < 0) l1 = i;
    });
    this.reconValue = recon >= 0 ? this.termValues[recon]! : 0;
    this.klValue = kl >= 0 ? this.termValues[kl]! : 0;
    this.l1Value = l1 >= 0 ? this.termValues[l1]! : 0;
    return total;
  }

  /** Gradients of loss() with respect to every parameter (after forward). */
  backward(ctx: RunContext, n: number): void {
    if (!this.options.training) throw new ShapeError('backward() needs a graph compiled with training: true');
    const kernels = this.kernels;
    for (const step of this.topo.backward) {
      if ('loss' in step) {
        this.terms[step.loss]!.backward(kernels, n);
        continue;
      }
      const node = step.run;
      const s = this.samples.get(node);
      if (s) {
        const count = n * s.count;
        kernels.reparamBackward(s.dz!.offset, s.lv.offset, s.eps.offset, s.dmu!.offset, s.dlv!.offset, count);
        if (s.addMu) kernels.add(s.addMu.offset, s.dmu!.offset, s.addMu.offset, count);
        if (s.addLv) kernels.add(s.addLv.offset, s.dlv!.offset, s.addLv.offset, count);
        continue;
      }
      const c = this.concats.get(node);
      if (c) {
        c.backward(kernels, n);
        continue;
      }
      const p = this.partNodes.get(node)!;
      if (p.frozen) continue;
      p.chain.backward(ctx, p.plan, n, p.accumulate);
      if (p.own && p.addInto) kernels.add(p.addInto.offset, p.own.offset, p.addInto.offset, n * sizeOf(p.own.shape.slice(1)));
    }
  }

  /**
   * After a training step's update: every layer folds what this step's forward measured into
   * its non-trainable state (BatchNormalization's moving statistics). The trainer skips it
   * for a step that diverged.
   */
  commitState(ctx: RunContext): void {
    for (const node of this.topo.forward) {
      const p = this.partNodes.get(node);
      if (p && !p.frozen) p.chain.layers.forEach((layer, i) => layer.commitState(ctx, p.plan.buffers[i]!));
    }
  }

  /**
   * Per-sample reconstruction error of output vs target after forward: writes into the
   * graph's metric rows and returns its offset (n values: mean over elements).
   */
  perSample(kind: LossKind, n: number): number {
    const cols = sizeOf(this.target.shape.slice(1));
    // A classifier's logits are no reconstruction: comparing them with the input would read past them.
    if (sizeOf(this.output.shape.slice(1)) !== cols) throw new ShapeError(`the graph's output ${this.graph.output} ${formatShape(this.output.shape.slice(1))} is no reconstruction of its input ${formatShape(this.target.shape.slice(1))}`);
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
