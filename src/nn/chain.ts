// A chain: one part of a model (encoder, decoder, a VAE head) as a sequence of layers.
// Parameter names follow DESIGN.md: `{part}.{index}.{param}`, counting every layer.

import { ShapeError } from '../errors.js';
import { ActivatedLayer, type Layer, type LayerBuffers, type LayerSpec, type RunContext } from './layer.js';
import type { ParamStore } from './params.js';
import type { Planner } from './planner.js';
import { createLayer } from './registry.js';
import { formatShape, type Shape, type Tensor } from './tensor.js';

/** One plan of a chain: each layer's buffers, and the chain's output and its gradient. */
export interface ChainPlan {
  buffers: LayerBuffers[];
  y: Tensor;
  dy: Tensor | null;
  /** The output activation's logits and their gradient, in a logits plan. */
  logits: Tensor | null;
  dlogits: Tensor | null;
}

export class Chain {
  readonly layers: Layer[];
  inShape: Shape = [];
  outShape: Shape = [];

  constructor(
    readonly part: string,
    specs: readonly LayerSpec[],
  ) {
    if (!Array.isArray(specs) || specs.length === 0) throw new ShapeError(`part ${part} must have at least one layer`);
    this.layers = specs.map((s, i) => createLayer(s, `${part} layer ${i}`));
  }

  /** Builds every layer from the per-sample input shape; registers parameters in `store`. */
  build(input: Shape, store: ParamStore): Shape {
    this.inShape = input;
    let shape = input;
    this.layers.forEach((layer, i) => {
      try {
        shape = layer.build(shape);
      } catch (err) {
        if (err instanceof ShapeError) throw new ShapeError(`${this.part} layer ${i} (${layer.className}) on input ${formatShape(shape)}: ${err.message}`);
        throw err;
      }
      layer.params = layer.paramSpecs().map((spec) => store.add(`${this.part}.${i}.${spec.param}`, spec));
    });
    this.outShape = shape;
    return shape;
  }

  get last(): Layer {
    return this.layers[this.layers.length - 1]!;
  }

  /**
   * The layer whose activation produces this chain's output, looking through views
   * (Flatten, Reshape), or null.
   */
  outputActivation(): ActivatedLayer | null {
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i]!;
      if (l instanceof ActivatedLayer) return l;
      if (l.className !== 'Flatten' && l.className !== 'Reshape') return null;
    }
    return null;
  }

  /**
   * Plans every layer's buffers from input x (and its gradient dx, or null). With
   * `logits`, the layer found by outputActivation() keeps its pre-activation values.
   */
  plan(pl: Planner, x: Tensor, dx: Tensor | null, batch: number, training: boolean, logits = false): ChainPlan {
    const logitsLayer = logits ? this.outputActivation() : null;
    const buffers: LayerBuffers[] = [];
    let cur = x;
    let grad = dx;
    for (const layer of this.layers) {
      const b = layer.plan(pl, cur, grad, batch, training, layer === logitsLayer);
      buffers.push(b);
      cur = b.y;
      grad = b.dy;
    }
    const logitsBuffers = logitsLayer ? buffers[this.layers.indexOf(logitsLayer)]! : null;
    return { buffers, y: cur, dy: grad, logits: logitsBuffers?.z ?? null, dlogits: logitsBuffers?.dy ?? null };
  }

  forward(ctx: RunContext, plan: ChainPlan, n: number): void {
    for (let i = 0; i < this.layers.length; i++) this.layers[i]!.forward(ctx, plan.buffers[i]!, n);
  }

  /** Backward through every layer; `accumulate` adds into the chain's input gradient. */
  backward(ctx: RunContext, plan: ChainPlan, n: number, accumulate = false): void {
    for (let i = this.layers.length - 1; i >= 0; i--) this.layers[i]!.backward(ctx, plan.buffers[i]!, n, i === 0 && accumulate);
  }

  /** Whether the chain's first layer can add into its input gradient. */
  get canAccumulate(): boolean {
    return this.layers[0]!.canAccumulate;
  }
}
