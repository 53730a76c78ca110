// Dense: y = act(x W + b) over the last axis; kernel [in, units] (Keras layout).

import { activationAlpha, activationCode } from '../activations.js';
import { ConfigReader } from '../config.js';
import { ActivatedLayer, type LayerBuffers, type ParamSpec, type RunContext } from '../layer.js';
import { sizeOf, type Shape } from '../tensor.js';

export class Dense extends ActivatedLayer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activationName: string;
  readonly activation: number;
  readonly useBias: boolean;
  private inDim = 0;
  private rowsPerSample = 1;

  constructor(config: Record<string, unknown>, where = 'Dense') {
    super();
    const r = new ConfigReader(config, where);
    r.only(['units', 'activation', 'use_bias']);
    this.units = r.positiveInt('units');
    this.activationName = (config['activation'] as string | undefined) ?? 'linear';
    this.activation = activationCode(config['activation'], where);
    this.useBias = r.bool('use_bias', true);
  }

  build(input: Shape): Shape {
    this.inShape = input;
    this.inDim = input[input.length - 1] ?? 0;
    this.rowsPerSample = sizeOf(input) / Math.max(this.inDim, 1);
    this.outShape = [...input.slice(0, -1), this.units];
    return this.outShape;
  }

  config(): Record<string, unknown> {
    return { units: this.units, activation: this.activationName, use_bias: this.useBias };
  }

  override paramSpecs(): ParamSpec[] {
    const specs: ParamSpec[] = [
      { param: 'kernel', shape: [this.inDim, this.units], init: { kind: 'glorot_uniform', fanIn: this.inDim, fanOut: this.units } },
    ];
    if (this.useBias) specs.push({ param: 'bias', shape: [this.units], init: { kind: 'zeros' } });
    return specs;
  }

  override get canAccumulate(): boolean {
    return true;
  }

  forward(ctx: RunContext, b: LayerBuffers, n: number): void {
    const rows = n * this.rowsPerSample;
    const w = this.params[0]!.value;
    const bias = this.useBias ? this.params[1]!.value : -1;
    const u = this.units;
    const alpha = activationAlpha(this.activation);
    // Bias and activation fused into the gemm; a plan that keeps z (logits, or gelu / silu
    // in training) writes z and applies the activation after.
    if (b.z) {
      ctx.kernels.sgemmBiasAct(0, 0, rows, u, this.inDim, b.x.offset, this.inDim, w, u, b.z.offset, u, bias, 0, 0);
      ctx.kernels.biasActForward(b.z.offset, -1, b.y.offset, rows, u, this.activation, alpha);
    } else {
      ctx.kernels.sgemmBiasAct(0, 0, rows, u, this.inDim, b.x.offset, this.inDim, w, u, b.y.offset, u, bias, this.activation, alpha);
    }
  }

  backward(ctx: RunContext, b: LayerBuffers, n: number, accumulate: boolean): void {
    const kernels = ctx.kernels;
    const rows = n * this.rowsPerSample;
    const dy = b.dy!.offset;
    this.activationBackward(ctx, b, rows * this.units, activationAlpha(this.activation));
    const w = this.params[0];
    const bias = this.params[1];
    kernels.sgemm(1, 0, this.inDim, this.units, rows, 1, b.x.offset, this.inDim, dy, this.units, 0, w!.grad, this.units);
    if (bias) kernels.biasBackward(dy, bias.grad, rows, this.units);
    if (b.dx) {
      kernels.sgemm(0, 1, rows, this.inDim, this.units, 1, dy, this.units, w!.value, this.units, accumulate ? 1 : 0, b.dx.offset, this.inDim);
    }
  }
}
