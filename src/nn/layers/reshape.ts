// Flatten and Reshape: NHWC data is contiguous per sample, so both are views — their
// output aliases the input and their gradient aliases the input's gradient. No kernels.

import { ShapeError } from '../../errors.js';
import { ConfigReader } from '../config.js';
import { Layer, type LayerBuffers, type RunContext } from '../layer.js';
import type { Planner } from '../planner.js';
import { formatShape, sizeOf, type Shape, type Tensor } from '../tensor.js';

abstract class ViewLayer extends Layer {
  override plan(pl: Planner, x: Tensor, dx: Tensor | null, batch: number): LayerBuffers {
    const shape = [batch, ...this.outShape];
    return { x, dx, y: pl.alias(x, shape), dy: dx ? pl.alias(dx, shape) : null, z: null };
  }

  override get canAccumulate(): boolean {
    return true;
  }

  forward(): void {}

  backward(_ctx: RunContext, _b: LayerBuffers, _n: number, accumulate: boolean): void {
    if (accumulate) throw new ShapeError(`${this.className} cannot take a gradient from two consumers`);
  }
}

export class Flatten extends ViewLayer {
  readonly className = 'Flatten';

  constructor(config: Record<string, unknown> = {}, where = 'Flatten') {
    super();
    new ConfigReader(config, where).only([]);
  }

  build(input: Shape): Shape {
    this.inShape = input;
    this.outShape = [sizeOf(input)];
    return this.outShape;
  }

  config(): Record<string, unknown> {
    return {};
  }
}

export class Reshape extends ViewLayer {
  readonly className = 'Reshape';
  readonly targetShape: number[];

  constructor(config: Record<string, unknown>, private readonly where = 'Reshape') {
    super();
    const r = new ConfigReader(config, where);
    r.only(['target_shape']);
    this.targetShape = r.intList('target_shape');
  }

  build(input: Shape): Shape {
    if (sizeOf(input) !== sizeOf(this.targetShape)) {
      throw new ShapeError(`${this.where}: cannot reshape ${formatShape(input)} (${sizeOf(input)} values) to ${formatShape(this.targetShape)} (${sizeOf(this.targetShape)} values)`);
    }
    this.inShape = input;
    this.outShape = [...this.targetShape];
    return this.outShape;
  }

  config(): Record<string, unknown> {
    return { target_shape: this.targetShape };
  }
}
