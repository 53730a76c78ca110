// The layer contract. A layer is built once (shapes, parameters); each compiled graph
// plans its own buffers for it (so a training plan, an evaluation plan and a batch-1
// inference plan coexist), then runs forward and backward with kernel calls only.
//
// Buffers: x / dx are the previous layer's y / dy (dx is null when nothing upstream needs
// a gradient); a layer owns y and dy. Backward reads dy (and may overwrite it) and
// writes dx — overwriting it, or adding to it when `accumulate` is set (used where a
// tensor feeds two layers, as the VAE's encoder output does).

import { ShapeError } from '../errors.js';
import { actBackwardReadsInput, type Kernels } from '../kernels/kernels.js';
import type { RandomStream } from '../random/streams.js';
import type { Planner } from './planner.js';
import { formatShape, type Shape, type Tensor } from './tensor.js';

/** Keras-style serialized layer: `{"class_name": "Dense", "config": {...}}`. */
export interface LayerSpec {
  class_name: string;
  config: Record<string, unknown>;
}

export type Initializer = { kind: 'glorot_uniform'; fanIn: number; fanOut: number } | { kind: 'zeros' } | { kind: 'ones' };

export interface ParamSpec {
  /** Keras' weight name: kernel, bias, gamma, moving_mean, ... */
  param: string;
  shape: number[];
  init: Initializer;
  /**
   * False for state the optimizer never touches (BatchNormalization's moving statistics):
   * no gradient, no optimizer slots, but saved with the weights. Default true.
   */
  trainable?: boolean;
}

/** A parameter tensor in the heap, with its gradient and optimizer slots once compiled. */
export interface Param {
  /** `{part}.{index}.{param}`, e.g. encoder.1.kernel */
  name: string;
  shape: number[];
  size: number;
  value: number;
  /** Gradient offset, or -1 before the model is compiled for training. */
  grad: number;
  /** Optimizer state by slot name (m, v, velocity). */
  slots: Map<string, number>;
  init: Initializer;
  /** Updated by the optimizer (has grad and slots once compiled for training). */
  trainable: boolean;
}

/** One plan's buffers for one layer. */
export interface LayerBuffers {
  x: Tensor;
  y: Tensor;
  dx: Tensor | null;
  dy: Tensor | null;
  /**
   * Pre-activation values: logits when a BCE loss fuses with a sigmoid output, or, in
   * training plans, the input of an activation whose gradient needs it (gelu, silu).
   */
  z: Tensor | null;
  /** Per-plan values a layer keeps from forward for backward (BatchNormalization's batch statistics). */
  work?: Tensor;
}

export interface RunContext {
  kernels: Kernels;
  training: boolean;
  /** Stream for training-time noise (GaussianNoise). */
  noise: RandomStream;
}

export abstract class Layer {
  abstract readonly className: string;
  /** Per-sample shapes, set by build. */
  inShape: Shape = [];
  outShape: Shape = [];
  params: Param[] = [];

  /** Sets the shapes from the per-sample input shape and returns the output shape. */
  abstract build(input: Shape): Shape;
  /** Keras config keys, for the model file and summary. */
  abstract config(): Record<string, unknown>;
  paramSpecs(): ParamSpec[] {
    return [];
  }
  /** Whether backward can add into dx instead of overwriting it. */
  get canAccumulate(): boolean {
    return false;
  }

  /** Default plan: own y and (when training) dy. `logits` keeps z (ActivatedLayer only). */
  plan(pl: Planner, x: Tensor, dx: Tensor | null, batch: number, training: boolean, logits = false): LayerBuffers {
    const shape = [batch, ...this.outShape];
    return { x, dx, y: pl.tensor(shape), dy: training ? pl.tensor(shape) : null, z: logits ? pl.tensor(shape) : null };
  }

  abstract forward(ctx: RunContext, b: LayerBuffers, n: number): void;
  abstract backward(ctx: RunContext, b: LayerBuffers, n: number, accumulate: boolean): void;

  /**
   * After a training step's update was applied: folds what the step's forward measured into
   * the layer's non-trainable state (BatchNormalization's moving statistics). A step that
   * diverged never calls it, so that state stays what the step started from, as the weights do.
   */
  commitState(_ctx: RunContext, _b: LayerBuffers): void {}

  spec(): LayerSpec {
    return { class_name: this.className, config: this.config() };
  }

  /** build() of a layer whose output has its input's shape (activations, noise). */
  protected keepShape(input: Shape): Shape {
    this.inShape = input;
    this.outShape = input;
    return input;
  }

  protected expectRank(input: Shape, rank: number, what: string): void {
    if (input.length !== rank) {
      throw new ShapeError(`${this.className} expects a ${what} input of rank ${rank} (per sample), got ${formatShape(input)}`);
    }
  }
}

/**
 * A layer whose last step is an activation. A plan with `z` keeps the pre-activation
 * values there: as logits, so a BCE loss can work from them (as Keras does for a sigmoid
 * output) and write d(loss)/d(logits) into dy directly; or, when training through gelu or
 * silu, whose slope the output does not determine, for activationBackward to read. The two
 * never meet: logits are planned for sigmoid only.
 */
export abstract class ActivatedLayer extends Layer {
  abstract readonly activation: number;

  /** Training plans keep z for activations whose gradient reads the input. */
  override plan(pl: Planner, x: Tensor, dx: Tensor | null, batch: number, training: boolean, logits = false): LayerBuffers {
    return super.plan(pl, x, dx, batch, training, logits || (training && this.keepsPreActivation()));
  }

  /** Whether backward needs a saved copy of the activation's input (the Activation layer reads x instead). */
  protected keepsPreActivation(): boolean {
    return actBackwardReadsInput(this.activation);
  }

  /** Where the linear part writes: z in logits plans, else y (activated in place). */
  protected pre(b: LayerBuffers): number {
    return (b.z ?? b.y).offset;
  }

  /** Applies bias and activation to pre(b) (rows x cols) producing y. */
  protected finish(ctx: RunContext, b: LayerBuffers, bias: number, rows: number, cols: number, alpha: number): void {
    const kernels = ctx.kernels;
    if (b.z) {
      kernels.biasActForward(b.z.offset, bias, b.z.offset, rows, cols, 0, 0);
      kernels.biasActForward(b.z.offset, -1, b.y.offset, rows, cols, this.activation, alpha);
    } else {
      kernels.biasActForward(b.y.offset, bias, b.y.offset, rows, cols, this.activation, alpha);
    }
  }

  /** Turns dy into the pre-activation gradient in place (a logits plan's loss already did). */
  protected activationBackward(ctx: RunContext, b: LayerBuffers, count: number, alpha: number): void {
    const fromInput = actBackwardReadsInput(this.activation);
    if (b.z && !fromInput) return;
    const saved = fromInput ? b.z! : b.y;
    ctx.kernels.actBackward(saved.offset, b.dy!.offset, b.dy!.offset, count, this.activation, alpha);
  }
}
