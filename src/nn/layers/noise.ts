// GaussianNoise (Keras semantics): adds stddev * N(0, 1) during training only, no
// clipping; identity at inference. Its gradient passes through unchanged.

import { ConfigReader } from '../config.js';
import { Layer, type LayerBuffers, type RunContext } from '../layer.js';
import type { Planner } from '../planner.js';
import { sizeOf, type Shape, type Tensor } from '../tensor.js';

export class GaussianNoise extends Layer {
  readonly className = 'GaussianNoise';
  readonly stddev: number;

  constructor(config: Record<string, unknown>, where = 'GaussianNoise') {
    super();
    const r = new ConfigReader(config, where);
    r.only(['stddev']);
    this.stddev = r.number('stddev', 0, 0);
  }

  build(input: Shape): Shape {
    return this.keepShape(input);
  }

  config(): Record<string, unknown> {
    return { stddev: this.stddev };
  }

  /** An inference plan makes y a view of x (the identity): no buffer, no copy. */
  override plan(pl: Planner, x: Tensor, dx: Tensor | null, batch: number, training: boolean): LayerBuffers {
    const shape = [batch, ...this.outShape];
    return { x, dx, y: training ? pl.tensor(shape) : pl.alias(x, shape), dy: dx ? pl.alias(dx, shape) : null, z: null };
  }

  forward(ctx: RunContext, b: LayerBuffers, n: number): void {
    if (b.y.offset === b.x.offset) return;
    const count = n * sizeOf(this.inShape);
    const kernels = ctx.kernels;
    if (ctx.training && this.stddev > 0) {
      kernels.randNormal(b.y.offset, count, ctx.noise.key, ctx.noise.take(count), 0, this.stddev);
      kernels.add(b.y.offset, b.x.offset, b.y.offset, count);
    } else {
      kernels.copy(b.x.offset, b.y.offset, count);
    }
  }

  backward(): void {}
}
