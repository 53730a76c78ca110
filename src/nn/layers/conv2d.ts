// Conv2D: y = act(conv(x, W) + b) over NHWC input; kernel [kh, kw, in, filters] (HWIO).

import { conv2dGeometry, conv2dTransposeGeometry, type Padding } from '../../kernels/geometry.js';
import type { ConvGeom } from '../../kernels/kernels.js';
import { activationAlpha, activationCode } from '../activations.js';
import { ConfigReader } from '../config.js';
import { ActivatedLayer, type LayerBuffers, type ParamSpec, type RunContext } from '../layer.js';
import type { Shape } from '../tensor.js';

/** A ConvGeom as the conv kernels take it after the batch size. */
function geometryArgs(g: ConvGeom): [
  ih: number, iw: number, cin: number, oh: number, ow: number, cout: number,
  kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number,
] {
  return [g.ih, g.iw, g.cin, g.oh, g.ow, g.cout, g.kh, g.kw, g.sh, g.sw, g.padTop, g.padLeft];
}

export class Conv2D extends ActivatedLayer {
  readonly className: string = 'Conv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly activationName: string;
  readonly activation: number;
  readonly useBias: boolean;
  protected g!: ConvGeom;

  constructor(config: Record<string, unknown>, where = 'Conv2D') {
    super();
    const r = new ConfigReader(config, where);
    r.only(['filters', 'kernel_size', 'strides', 'padding', 'activation', 'use_bias']);
    this.filters = r.positiveInt('filters');
    this.kernelSize = r.pair('kernel_size');
    this.strides = r.pair('strides', [1, 1]);
    this.padding = r.padding();
    this.activationName = (config['activation'] as string | undefined) ?? 'linear';
    this.activation = activationCode(config['activation'], where);
    this.useBias = r.bool('use_bias', true);
  }

  build(input: Shape): Shape {
    this.expectRank(input, 3, 'height x width x channels');
    const [h, w, c] = input as [number, number, number];
    this.inShape = input;
    this.g = conv2dGeometry(1, h, w, c, this.filters, ...this.kernelSize, ...this.strides, this.padding);
    this.outShape = [this.g.oh, this.g.ow, this.filters];
    return this.outShape;
  }

  config(): Record<string, unknown> {
    return {
      filters: this.filters,
      kernel_size: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      activation: this.activationName,
      use_bias: this.useBias,
    };
  }

  override paramSpecs(): ParamSpec[] {
    const [kh, kw] = this.kernelSize;
    const cin = this.inShape[2]!;
    const specs: ParamSpec[] = [
      { param: 'kernel', shape: [kh, kw, cin, this.filters], init: { kind: 'glorot_uniform', fanIn: kh * kw * cin, fanOut: kh * kw * this.filters } },
    ];
    if (this.useBias) specs.push({ param: 'bias', shape: [this.filters], init: { kind: 'zeros' } });
    return specs;
  }

  forward(ctx: RunContext, b: LayerBuffers, n: number): void {
    const g = this.g;
    ctx.kernels.conv2dForward(b.x.offset, this.params[0]!.value, this.pre(b), n, ...geometryArgs(g));
    this.finish(ctx, b, this.useBias ? this.params[1]!.value : -1, n * g.oh * g.ow, this.filters, activationAlpha(this.activation));
  }

  backward(ctx: RunContext, b: LayerBuffers, n: number): void {
    const kernels = ctx.kernels;
    const g = this.g;
    const rows = n * g.oh * g.ow;
    const dy = b.dy!.offset;
    this.activationBackward(ctx, b, rows * this.filters, activationAlpha(this.activation));
    const w = this.params[0];
    const bias = this.params[1];
    kernels.conv2dBackwardFilter(b.x.offset, dy, w!.grad, n, ...geometryArgs(g));
    if (bias) kernels.biasBackward(dy, bias.grad, rows, this.filters);
    if (b.dx) {
      kernels.conv2dBackwardInput(dy, w!.value, b.dx.offset, n, ...geometryArgs(g));
    }
  }
}

/**
 * Conv2DTranspose (Keras semantics): kernel [kh, kw, filters, in]; 'same' output =
 * input x stride. It is the input gradient of the conv from its output back to its
 * input, so forward = conv2dBackwardInput and its backward passes are conv2dForward
 * (input gradient) and conv2dBackwardFilter with x and dy in swapped roles.
 */
export class Conv2DTranspose extends Conv2D {
  override readonly className: string = 'Conv2DTranspose';

  constructor(config: Record<string, unknown>, where = 'Conv2DTranspose') {
    super(config, where);
  }

  override build(input: Shape): Shape {
    this.expectRank(input, 3, 'height x width x channels');
    this.inShape = input;
    const [h, w, c] = input as [number, number, number];
    // g describes the underlying conv: its input (ih, iw, cin) is OUR output.
    this.g = conv2dTransposeGeometry(1, h, w, c, this.filters, ...this.kernelSize, ...this.strides, this.padding);
    this.outShape = [this.g.ih, this.g.iw, this.filters];
    return this.outShape;
  }

  override paramSpecs(): ParamSpec[] {
    const [kh, kw] = this.kernelSize;
    const cin = this.inShape[2]!;
    const specs: ParamSpec[] = [
      // Keras computes fans from the kernel shape: fan_in = filters kh kw, fan_out = in kh kw.
      { param: 'kernel', shape: [kh, kw, this.filters, cin], init: { kind: 'glorot_uniform', fanIn: kh * kw * this.filters, fanOut: kh * kw * cin } },
    ];
    if (this.useBias) specs.push({ param: 'bias', shape: [this.filters], init: { kind: 'zeros' } });
    return specs;
  }

  override forward(ctx: RunContext, b: LayerBuffers, n: number): void {
    const g = this.g;
    ctx.kernels.conv2dBackwardInput(b.x.offset, this.params[0]!.value, this.pre(b), n, ...geometryArgs(g));
    this.finish(ctx, b, this.useBias ? this.params[1]!.value : -1, n * g.ih * g.iw, this.filters, activationAlpha(this.activation));
  }

  override backward(ctx: RunContext, b: LayerBuffers, n: number): void {
    const kernels = ctx.kernels;
    const g = this.g;
    const rows = n * g.ih * g.iw;
    const dy = b.dy!.offset;
    this.activationBackward(ctx, b, rows * this.filters, activationAlpha(this.activation));
    const w = this.params[0];
    const bias = this.params[1];
    // The underlying conv's "x" is our dy and its "dy" is our x.
    kernels.conv2dBackwardFilter(dy, b.x.offset, w!.grad, n, ...geometryArgs(g));
    if (bias) kernels.biasBackward(dy, bias.grad, rows, this.filters);
    if (b.dx) {
      kernels.conv2dForward(dy, w!.value, b.dx.offset, n, ...geometryArgs(g));
    }
  }
}
