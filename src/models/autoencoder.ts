// Autoencoder: the parts of its graph (encoder and decoder, a VAE's heads, or any named
// parts an architecture's graph wires) built on one backend, their parameters, and the
// inference API: encode, decode, reconstruct, sample.

import { applyNormalization, invertNormalization, type Normalization } from '../data/normalize.js';
import type { SampleArray } from '../data/sources/types.js';
import { DataError, ShapeError } from '../errors.js';
import type { Kernels } from '../kernels/kernels.js';
import { RandomPurpose, RandomStream, streamKey } from '../random/streams.js';
import { Chain } from '../nn/chain.js';
import type { RunContext } from '../nn/layer.js';
import { ParamStore } from '../nn/params.js';
import { formatShape, sizeOf, type Shape } from '../nn/tensor.js';
import { architectureGraph, checkVaeHeads, partNames, validateArchitecture, type Architecture } from './architecture.js';
import { classifierPart, requireClassifier } from './classifier.js';
import { ModelGraph, type GraphOptions } from './graph.js';
import { sourceNames } from './graph-record.js';
import { walkGraph } from './graph-shapes.js';
import { topology } from './graph-topology.js';
import type { ModelLimits } from './limits.js';
import type { TrainingRecord } from './model-file.js';
import { planArchitecture } from './plan.js';

/** Largest batch the inference helpers run at once. */
const INFERENCE_BATCH = 256;

export class Autoencoder {
  readonly kind: Architecture['kind'];
  readonly params: ParamStore;
  /** Every part's chain, in build order (the graph's forward order). */
  readonly chains: ReadonlyMap<string, Chain>;
  readonly inputShape: Shape;
  readonly codeShape: Shape;
  readonly outputShape: Shape;
  /** Whether the forward pass reads the label (not only a loss term): inference then needs one per sample. */
  readonly readsLabels: boolean;
  /** Whether the decoder reads the label beside the code (a conditional VAE): decode and sample then take one per sample. */
  readonly decoderReadsLabels: boolean;
  /** How this model was trained (set by training and by loading a model file). */
  training: TrainingRecord | null = null;
  /**
   * How data in its own units becomes this model's input (and back): set by the CLI's
   * train from --normalize, by you, or by loading a model file that records it; null
   * means the model takes its input as it is (every file written before preprocessing).
   */
  preprocessing: Normalization | null = null;
  private readonly inference = new Map<number, ModelGraph>();
  private disposed = false;

  constructor(
    readonly kernels: Kernels,
    readonly architecture: Architecture,
    limits: Partial<ModelLimits> = {},
  ) {
    validateArchitecture(architecture, 'model');
    checkVaeHeads(architecture);
    // Sizes are checked on a dry run first: building allocates every parameter.
    planArchitecture(architecture, limits);
    this.kind = architecture.kind;
    this.params = new ParamStore(kernels);
    this.inputShape = [...architecture.input_shape];
    const chains = new Map<string, Chain>();
    const g = architectureGraph(architecture);
    // Built in the graph's forward order: parameter names, order and initialisation follow it.
    const topo = topology(partNames(architecture), g);
    this.readsLabels = topo.consumers.has('label');
    const decoderPart = g.decoder ?? (architecture.parts['decoder'] ? 'decoder' : null);
    this.decoderReadsLabels = decoderPart !== null && sourceNames(g.inputs[decoderPart]!).includes('label');
    const shapes = walkGraph(g, topo, this.inputShape, (part, input) => {
      const chain = new Chain(part, architecture.parts[part]!);
      chains.set(part, chain);
      return chain.build(input, this.params);
    }, architecture.graph !== undefined);
    this.chains = chains;
    this.codeShape = shapes.get(g.code)!;
    this.outputShape = shapes.get(g.output)!;
    if (!architecture.graph && this.kind === 'vae') {
      const lv = shapes.get('z_log_var')!;
      if (sizeOf(lv) !== sizeOf(this.codeShape)) throw new ShapeError(`z_log_var ${formatShape(lv)} must match z_mean ${formatShape(this.codeShape)}`);
    }
    if (!architecture.graph && sizeOf(this.outputShape) !== sizeOf(this.inputShape)) {
      throw new ShapeError(`the decoder outputs ${formatShape(this.outputShape)} but the input is ${formatShape(this.inputShape)}`);
    }
  }

  /** Keras default initialisation (glorot uniform kernels, zero biases) from a seed. */
  initialize(seed: number): this {
    this.params.initialize(new RandomStream(streamKey(seed, RandomPurpose.init)));
    return this;
  }

  /** A part's chain by name (ShapeError naming the parts when it has none). */
  part(name: string): Chain {
    const chain = this.chains.get(name);
    if (!chain) throw new ShapeError(`this model has no part ${JSON.stringify(name)}; its parts are ${[...this.chains.keys()].join(', ')}`);
    return chain;
  }

  /** The default wiring's parts (every preset has them). */
  get encoder(): Chain {
    return this.part('encoder');
  }
  get decoder(): Chain {
    return this.part('decoder');
  }

  /** The graph a compile with these options runs: the record's, or the default wiring with their loss terms. */
  graph(options: Pick<GraphOptions, 'loss' | 'l1' | 'beta'> = { loss: 'mse' }) {
    return architectureGraph(this.architecture, options);
  }

  /** One-hot label width when the graph reads labels (the trainer feeds them), else null. */
  get labelCount(): number | null {
    return this.architecture.graph?.labels ?? null;
  }

  /** Plans one graph for a batch size; several graphs may coexist. Release it when done. */
  compile(options: GraphOptions): ModelGraph {
    this.checkAlive();
    const g = this.graph(options);
    const frozen = options.frozen ?? this.params.frozenParts;
    return new ModelGraph(this.kernels, this.chains, topology(partNames(this.architecture), g), g, this.inputShape, { ...options, frozen });
  }

  /** Per-sample sizes. */
  get inputSize(): number {
    return sizeOf(this.inputShape);
  }
  get codeSize(): number {
    return sizeOf(this.codeShape);
  }

  /**
   * Samples in the data's own units (uint8 pixels, table values) as this model's input:
   * the model's preprocessing applied, or the values as float32 when it has none.
   */
  normalize(data: SampleArray): Float32Array {
    this.wholeSamples(data.length, 'normalize');
    if (this.preprocessing) return applyNormalization(this.preprocessing, data);
    return Float32Array.from(data);
  }

  /** Model outputs (reconstructions, decoded samples) back in the data's own units. */
  denormalize(values: Float32Array): Float32Array {
    this.wholeSamples(values.length, 'denormalize');
    return this.preprocessing ? invertNormalization(this.preprocessing, values) : Float32Array.from(values);
  }

  /**
   * Whether inputs must lie in [0, 1]: a sigmoid output reconstructs only that range, so
   * values beyond it are a caller's mistake (0..255 pixels given unscaled) unless the model
   * was trained on min-max or standardised data, whose test values may leave [0, 1].
   */
  get inputsInUnitRange(): boolean {
    const kind = this.preprocessing?.kind;
    return outputActivation(this.architecture) === 'sigmoid' && kind !== 'standard' && kind !== 'minmax';
  }

  /** Codes of images [n, ...inputShape] (a VAE's z_mean). */
  encode(images: Float32Array, labels?: ArrayLike<number>): Float32Array {
    return this.encodeWithLogVar(images, labels).codes;
  }

  /** Codes and, for a VAE, z_log_var. A graph whose encoder reads the label (a conditional VAE) takes one per image. */
  encodeWithLogVar(images: Float32Array, labels?: ArrayLike<number>): { codes: Float32Array; logVar: Float32Array | null } {
    const n = this.countOf(images, this.inputSize, 'images', this.inputShape, this.inputsInUnitRange);
    this.checkLabels(labels, n, this.readsLabels, 'image');
    const codes = new Float32Array(n * this.codeSize);
    const logVar = this.kind === 'vae' ? new Float32Array(n * this.codeSize) : null;
    this.inChunks(n, (g, ctx, start, m) => {
      this.kernels.heap.write(g.input.offset, images.subarray(start * this.inputSize, (start + m) * this.inputSize));
      this.writeLabels(g, labels, start, m);
      g.forwardEncoder(ctx, m);
      codes.set(this.kernels.heap.read(g.code.offset, m * this.codeSize), start * this.codeSize);
      if (logVar) logVar.set(this.kernels.heap.read(g.logVar!.offset, m * this.codeSize), start * this.codeSize);
    });
    return { codes, logVar };
  }

  /** Images decoded from codes [n, ...codeShape]; a decoder that reads the label (a conditional VAE) takes one per code. */
  decode(codes: Float32Array, labels?: ArrayLike<number>): Float32Array {
    const n = this.countOf(codes, this.codeSize, 'codes', this.codeShape, false);
    this.checkLabels(labels, n, this.decoderReadsLabels, 'code');
    const out = new Float32Array(n * this.inputSize);
    this.inChunks(n, (g, ctx, start, m) => {
      if (!g.decoderInput || sizeOf(g.decoderInput.shape.slice(1)) !== this.codeSize) {
        throw new ShapeError(`decode needs a decoder part reading the code ${formatShape(this.codeShape)}; this graph's decoder reads ${g.decoderInput ? formatShape(g.decoderInput.shape.slice(1)) : 'nothing'}`);
      }
      this.kernels.heap.write(g.decoderInput.offset, codes.subarray(start * this.codeSize, (start + m) * this.codeSize));
      if (g.decoderReadsLabel) this.writeLabels(g, labels, start, m);
      g.forwardDecoder(ctx, m);
      out.set(this.kernels.heap.read(g.output.offset, m * this.inputSize), start * this.inputSize);
    });
    return out;
  }

  /** Reconstructions of images (a VAE decodes z = z_mean); a graph that reads the label takes one per image. */
  reconstruct(images: Float32Array, labels?: ArrayLike<number>): Float32Array {
    if (sizeOf(this.outputShape) !== this.inputSize) {
      throw new ShapeError(`reconstruct needs a model whose output reconstructs its input ${formatShape(this.inputShape)}; this one outputs ${this.architecture.graph?.output ?? 'decoder'} ${formatShape(this.outputShape)}`);
    }
    const n = this.countOf(images, this.inputSize, 'images', this.inputShape, this.inputsInUnitRange);
    this.checkLabels(labels, n, this.readsLabels, 'image');
    const out = new Float32Array(n * this.inputSize);
    this.inChunks(n, (g, ctx, start, m) => {
      this.kernels.heap.write(g.input.offset, images.subarray(start * this.inputSize, (start + m) * this.inputSize));
      this.writeLabels(g, labels, start, m);
      g.forward(ctx, m, false);
      out.set(this.kernels.heap.read(g.output.offset, m * this.inputSize), start * this.inputSize);
    });
    return out;
  }

  /** The classifier part (classifier.ts: the part its sparse categorical cross-entropy term reads), or null. */
  get classifier(): string | null {
    return classifierPart(this.architecture.graph);
  }

  /**
   * Class probabilities [n, labelCount] of images: the softmax of the classifier's logits
   * (classifier.ts), row by row. A graph whose forward pass reads the label takes one per
   * image. UnsupportedError, naming the parts, for a model without a classifier.
   */
  predict(images: Float32Array, labels?: ArrayLike<number>): Float32Array {
    const part = requireClassifier(this.architecture.graph, this.chains.keys(), 'predict', 'this model');
    const n = this.countOf(images, this.inputSize, 'images', this.inputShape, this.inputsInUnitRange);
    this.checkLabels(labels, n, this.readsLabels, 'image');
    const k = this.labelCount!;
    const out = new Float32Array(n * k);
    this.inChunks(n, (g, ctx, start, m) => {
      this.kernels.heap.write(g.input.offset, images.subarray(start * this.inputSize, (start + m) * this.inputSize));
      this.writeLabels(g, labels, start, m);
      g.forward(ctx, m, false);
      // In place: after the forward pass nothing reads the logits again.
      const logits = g.valueOf(part).offset;
      this.kernels.softmaxForward(logits, logits, m, k);
      out.set(this.kernels.heap.read(logits, m * k), start * k);
    });
    return out;
  }

  /**
   * VAE: n images decoded from z ~ N(0, I), reproducible from `seed`; a conditional VAE
   * takes the label of each (the same seed draws the same z whatever the labels).
   */
  sample(n: number, seed: number, labels?: ArrayLike<number>): Float32Array {
    if (this.kind !== 'vae') throw new ShapeError('sample() needs a variational autoencoder (kind "vae")');
    if (!Number.isInteger(n) || n < 1) throw new ShapeError(`sample: n must be a positive integer, got ${n}`);
    this.checkLabels(labels, n, this.decoderReadsLabels, 'sample');
    return this.decode(this.priorCodes(n, seed), labels);
  }

  /** The n codes z ~ N(0, I) that sample(n, seed) decodes (a grid reuses them for every class). */
  priorCodes(n: number, seed: number): Float32Array {
    if (!Number.isInteger(n) || n < 1) throw new ShapeError(`sample: n must be a positive integer, got ${n}`);
    const stream = new RandomStream(streamKey(seed, RandomPurpose.sample));
    const z = new Float32Array(n * this.codeSize);
    const tmp = this.kernels.heap.alloc(z.length);
    try {
      this.kernels.randNormal(tmp, z.length, stream.key, stream.take(z.length), 0, 1);
      z.set(this.kernels.heap.read(tmp, z.length));
    } finally {
      this.kernels.heap.free(tmp);
    }
    return z;
  }

  /** Frees every buffer on the heap (parameters and cached inference plans). */
  dispose(): void {
    if (this.disposed) return;
    for (const g of this.inference.values()) g.release();
    this.inference.clear();
    this.params.dispose();
    this.disposed = true;
  }

  /** Runs fn over [0, n) in chunks of at most INFERENCE_BATCH samples on a cached graph. */
  private inChunks(n: number, fn: (g: ModelGraph, ctx: RunContext, start: number, m: number) => void): void {
    this.checkAlive();
    const batch = Math.min(n, INFERENCE_BATCH);
    let g = this.inference.get(batch);
    if (!g) {
      g = this.compile({ batch, training: false, loss: 'mse' });
      this.inference.set(batch, g);
    }
    const ctx: RunContext = { kernels: this.kernels, training: false, noise: new RandomStream(0) };
    for (let start = 0; start < n; start += batch) fn(g, ctx, start, Math.min(batch, n - start));
  }

  /** Labels are required exactly when the pass reads them (`reads`): n integers in [0, labelCount), one per `what`. */
  private checkLabels(labels: ArrayLike<number> | undefined, n: number, reads: boolean, what: 'image' | 'code' | 'sample'): void {
    if (labels === undefined) {
      if (reads) throw new ShapeError(`this model's ${what === 'image' ? 'graph' : 'decoder'} reads the label: pass one label per ${what} (${n} in 0..${this.labelCount! - 1})`);
      return;
    }
    if (!reads) throw new ShapeError(`labels given, but this model's ${what === 'image' ? 'graph does' : 'decoder does'} not read them`);
    if (labels.length !== n) throw new ShapeError(`labels: ${labels.length} labels for ${n} ${what}s`);
    for (let i = 0; i < n; i++) {
      const l = labels[i]!;
      if (!Number.isInteger(l) || l < 0 || l >= this.labelCount!) throw new DataError(`labels: label ${l} at index ${i} is outside 0..${this.labelCount! - 1}`);
    }
  }

  /** One-hot rows of labels[start .. start + m) into the graph's label tensor. */
  private writeLabels(g: ModelGraph, labels: ArrayLike<number> | undefined, start: number, m: number): void {
    if (!labels || !g.label) return;
    const classes = this.labelCount!;
    const rows = new Float32Array(m * classes);
    for (let r = 0; r < m; r++) rows[r * classes + labels[start + r]!] = 1;
    this.kernels.heap.write(g.label.offset, rows);
  }

  private wholeSamples(length: number, what: string): void {
    if (length === 0 || length % this.inputSize !== 0) {
      throw new ShapeError(`${what}: ${length} values is not a whole number of samples of shape ${formatShape(this.inputShape)} (${this.inputSize} values each)`);
    }
  }

  private countOf(values: Float32Array, per: number, what: string, shape: Shape, checkRange: boolean): number {
    if (!(values instanceof Float32Array)) throw new ShapeError(`${what} must be a Float32Array`);
    if (values.length === 0 || values.length % per !== 0) {
      throw new ShapeError(`${what}: ${values.length} values is not a whole number of samples of shape ${formatShape(shape)} (${per} values each)`);
    }
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v) || (checkRange && (v < 0 || v > 1))) {
        throw new DataError(`${what}: value ${v} at sample ${Math.floor(i / per)}, element ${i % per} is ${Number.isFinite(v) ? 'outside [0, 1]' : 'not finite'}`);
      }
    }
    return values.length / per;
  }

  private checkAlive(): void {
    if (this.disposed) throw new ShapeError('this model was disposed');
  }
}

/**
 * The activation of the decoder's last layer that has one ('linear' when none does, as in
 * Keras): what range the model's outputs can cover.
 */
export function outputActivation(arch: Architecture): string {
  const layers = arch.parts[architectureGraph(arch).output]!;
  for (let i = layers.length - 1; i >= 0; i--) {
    const a = layers[i]!.config['activation'];
    if (typeof a === 'string') return a;
  }
  return 'linear';
}
