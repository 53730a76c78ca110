// MaxPooling2D and UpSampling2D (nearest), NHWC.

import { ArgumentError } from '../../errors.js';
import { pool2dGeometry, type Padding } from '../../kernels/geometry.js';
import type { PoolGeom } from '../../kernels/kernels.js';
import { ConfigReader } from '../config.js';
import { Layer, type LayerBuffers, type RunContext } from '../layer.js';
import type { Shape } from '../tensor.js';

export class MaxPooling2D extends Layer {
  readonly className = 'MaxPooling2D';
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  private g!: PoolGeom;

  constructor(config: Record<string, unknown>, where = 'MaxPooling2D') {
    super();
    const r = new ConfigReader(config, where);
    r.only(['pool_size', 'strides', 'padding']);
    this.poolSize = r.pair('pool_size', [2, 2]);
    // Keras: strides default to the pool size.
    this.strides = r.has('strides') ? r.pair('strides') : this.poolSize;
    this.padding = r.padding();
  }

  build(input: Shape): Shape {
    this.expectRank(input, 3, 'height x width x channels');
    const [h, w, c] = input as [number, number, number];
    this.inShape = input;
    this.g = pool2dGeometry(1, h, w, c, ...this.poolSize, ...this.strides, this.padding);
    this.outShape = [this.g.oh, this.g.ow, c];
    return this.outShape;
  }

  config(): Record<string, unknown> {
    return { pool_size: this.poolSize, strides: this.strides, padding: this.padding };
  }

  forward(ctx: RunContext, b: LayerBuffers, n: number): void {
    const g = this.g;
    ctx.kernels.maxpool2dForward(b.x.offset, b.y.offset, n, g.ih, g.iw, g.c, g.oh, g.ow, g.ph, g.pw, g.sh, g.sw, g.padTop, g.padLeft);
  }

  backward(ctx: RunContext, b: LayerBuffers, n: number): void {
    if (!b.dx) return;
    const g = this.g;
    ctx.kernels.maxpool2dBackward(b.x.offset, b.dy!.offset, b.dx.offset, n, g.ih, g.iw, g.c, g.oh, g.ow, g.ph, g.pw, g.sh, g.sw, g.padTop, g.padLeft);
  }
}

export class UpSampling2D extends Layer {
  readonly className = 'UpSampling2D';
  readonly size: [number, number];

  constructor(config: Record<string, unknown>, where = 'UpSampling2D') {
    super();
    const r = new ConfigReader(config, where);
    r.only(['size', 'interpolation']);
    this.size = r.pair('size', [2, 2]);
    const interp = config['interpolation'] ?? 'nearest';
    if (interp !== 'nearest') throw new ArgumentError(`${where}: only interpolation "nearest" is supported, got ${JSON.stringify(interp)}`);
  }

  build(input: Shape): Shape {
    this.expectRank(input, 3, 'height x width x channels');
    const [h, w, c] = input as [number, number, number];
    this.inShape = input;
    this.outShape = [h * this.size[0], w * this.size[1], c];
    return this.outShape;
  }

  config(): Record<string, unknown> {
    return { size: this.size, interpolation: 'nearest' };
  }

  forward(ctx: RunContext, b: LayerBuffers, n: number): void {
    const [h, w, c] = this.inShape as [number, number, number];
    ctx.kernels.upsample2dForward(b.x.offset, b.y.offset, n, h, w, c, ...this.size);
  }

  backward(ctx: RunContext, b: LayerBuffers, n: number): void {
    if (!b.dx) return;
    const [h, w, c] = this.inShape as [number, number, number];
    ctx.kernels.upsample2dBackward(b.dy!.offset, b.dx.offset, n, h, w, c, ...this.size);
  }
}
