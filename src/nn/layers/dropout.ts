// Dropout and SpatialDropout2D (Keras semantics): during training each unit (Dropout) or
// each channel of each sample (SpatialDropout2D, NHWC) is zeroed with probability `rate`
// and the kept ones are scaled by 1 / (1 - rate); identity at inference.
//
// The mask comes from the run's noise stream, as GaussianNoise's draws do: a forward
// reserves one counter per draw, so runs, resumes (the stream's counter is in every
// checkpoint) and thread counts give the same masks. No mask is stored: the backward
// recomputes it from the same (key, counter), in the same kernel (see the `dropout` row of
// the kernel manifest). Why: a stored mask would cost an activation-sized buffer per layer
// and a second write in forward, to save about 70 us a backward at [256, 784] (the kernel
// 102 us vs a `mul` 29 us; scripts/dropout-timing.mts), well under 1% of a training step;
// and a spatial mask is one hash per channel, so its recompute costs about a `mul`.
// Keras' `seed` is accepted and not used: every draw of a run comes from its one seed.
// `noise_shape` other than null is refused.

import { ArgumentError } from '../../errors.js';
import { ConfigReader } from '../config.js';
import { Layer, type LayerBuffers, type RunContext } from '../layer.js';
import type { Planner } from '../planner.js';
import { sizeOf, type Shape, type Tensor } from '../tensor.js';

/** A dropout layer's buffers, with where its last training forward drew its mask. */
export interface DropoutBuffers extends LayerBuffers {
  key: number;
  counter: number;
}

abstract class DropoutBase extends Layer {
  readonly rate: number;

  constructor(config: Record<string, unknown>, where: string, keys: readonly string[]) {
    super();
    const r = new ConfigReader(config, where);
    r.only(['rate', ...keys]);
    const rate = r.raw('rate');
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
      throw new ArgumentError(`${where}: rate must be a number in [0, 1) (the fraction of units dropped), got ${JSON.stringify(rate)}`);
    }
    this.rate = rate;
  }

  config(): Record<string, unknown> {
    return { rate: this.rate };
  }

  /** Samples' layout for the kernel: hw rows of ch values, one draw per (sample, ch). */
  protected abstract get hw(): number;
  protected abstract get ch(): number;

  // dy shares dx's buffer: backward masks the gradient in place (GaussianNoise's plan). An
  // inference plan makes y a view of x: the layer is the identity there, so neither a buffer
  // nor a copy.
  override plan(pl: Planner, x: Tensor, dx: Tensor | null, batch: number, training: boolean): DropoutBuffers {
    const shape = [batch, ...this.outShape];
    const y = training ? pl.tensor(shape) : pl.alias(x, shape);
    return { x, dx, y, dy: dx ? pl.alias(dx, shape) : null, z: null, key: 0, counter: -1 };
  }

  forward(ctx: RunContext, b: DropoutBuffers, n: number): void {
    const kernels = ctx.kernels;
    if (b.y.offset === b.x.offset) {
      b.counter = -1;
      return;
    }
    if (ctx.training && this.rate > 0) {
      b.key = ctx.noise.key;
      b.counter = ctx.noise.take(n * this.ch);
      kernels.dropout(b.x.offset, b.y.offset, n, this.hw, this.ch, b.key, b.counter, this.rate);
    } else {
      b.counter = -1;
      kernels.copy(b.x.offset, b.y.offset, n * sizeOf(this.inShape));
    }
  }

  /** dx = dy masked and scaled as the forward's x was (in place: dy is dx's buffer). */
  backward(ctx: RunContext, b: DropoutBuffers, n: number): void {
    if (!b.dx || b.counter < 0) return;
    ctx.kernels.dropout(b.dy!.offset, b.dx.offset, n, this.hw, this.ch, b.key, b.counter, this.rate);
  }
}

export class Dropout extends DropoutBase {
  readonly className = 'Dropout';

  constructor(config: Record<string, unknown>, where = 'Dropout') {
    super(config, where, ['noise_shape']);
    const shape = new ConfigReader(config, where).raw('noise_shape');
    if (shape !== undefined && shape !== null) {
      throw new ArgumentError(
        `${where}: noise_shape ${JSON.stringify(shape)} is not supported, only null (a draw per unit); SpatialDropout2D drops whole channels`,
      );
    }
  }

  build(input: Shape): Shape {
    return this.keepShape(input);
  }

  protected get hw(): number {
    return 1;
  }
  protected get ch(): number {
    return sizeOf(this.inShape);
  }
}

export class SpatialDropout2D extends DropoutBase {
  readonly className = 'SpatialDropout2D';

  constructor(config: Record<string, unknown>, where = 'SpatialDropout2D') {
    super(config, where, ['data_format']);
    const format = new ConfigReader(config, where).raw('data_format');
    if (format !== undefined && format !== null && format !== 'channels_last') {
      throw new ArgumentError(`${where}: data_format must be "channels_last" (NHWC), got ${JSON.stringify(format)}`);
    }
  }

  build(input: Shape): Shape {
    this.expectRank(input, 3, 'image (height, width, channels)');
    return this.keepShape(input);
  }

  protected get hw(): number {
    return this.inShape[0]! * this.inShape[1]!;
  }
  protected get ch(): number {
    return this.inShape[2]!;
  }
}
