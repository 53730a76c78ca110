// Activation, LeakyReLU and ELU as layers of their own.

import { ArgumentError } from '../../errors.js';
import { Act, actBackwardReadsInput } from '../../kernels/kernels.js';
import { activationAlpha, activationCode, ELU_DEFAULT_ALPHA, LEAKY_RELU_LAYER_DEFAULT_ALPHA } from '../activations.js';
import { ConfigReader } from '../config.js';
import { ActivatedLayer, type LayerBuffers, type RunContext } from '../layer.js';
import { sizeOf, type Shape } from '../tensor.js';

export class Activation extends ActivatedLayer {
  readonly className: string = 'Activation';
  readonly activation: number;
  readonly activationName: string;
  protected alpha: number;

  constructor(config: Record<string, unknown>, where = 'Activation') {
    super();
    if (new.target === Activation) new ConfigReader(config, where).only(['activation']);
    this.activationName = (config['activation'] as string | undefined) ?? 'linear';
    this.activation = activationCode(config['activation'] ?? 'linear', where);
    this.alpha = activationAlpha(this.activation);
  }

  /** The input x is this layer's own pre-activation, and stays in place until backward. */
  protected override keepsPreActivation(): boolean {
    return false;
  }

  build(input: Shape): Shape {
    return this.keepShape(input);
  }

  config(): Record<string, unknown> {
    return { activation: this.activationName };
  }

  forward(ctx: RunContext, b: LayerBuffers, n: number): void {
    const count = n * sizeOf(this.inShape);
    if (b.z) ctx.kernels.copy(b.x.offset, b.z.offset, count);
    ctx.kernels.biasActForward(b.x.offset, -1, b.y.offset, n, sizeOf(this.inShape), this.activation, this.alpha);
  }

  backward(ctx: RunContext, b: LayerBuffers, n: number): void {
    if (!b.dx) return;
    const count = n * sizeOf(this.inShape);
    // In a logits plan the loss wrote d/d(logits) = d/dx into dy already.
    if (b.z) ctx.kernels.copy(b.dy!.offset, b.dx.offset, count);
    else {
      const saved = actBackwardReadsInput(this.activation) ? b.x : b.y;
      ctx.kernels.actBackward(saved.offset, b.dy!.offset, b.dx.offset, count, this.activation, this.alpha);
    }
  }
}

export class LeakyReLU extends Activation {
  override readonly className = 'LeakyReLU';

  constructor(config: Record<string, unknown>, where = 'LeakyReLU') {
    super({ activation: 'leaky_relu' }, where);
    const r = new ConfigReader(config, where);
    r.only(['alpha', 'negative_slope']);
    // Keras 2 calls the slope `alpha`, Keras 3 `negative_slope`.
    const key = r.has('negative_slope') ? 'negative_slope' : 'alpha';
    this.alpha = r.number(key, LEAKY_RELU_LAYER_DEFAULT_ALPHA, 0);
    if (this.activation !== Act.leakyRelu) throw new ArgumentError(`${where}: internal activation mismatch`);
  }

  override config(): Record<string, unknown> {
    return { alpha: this.alpha };
  }
}

/** Keras' ELU layer: elu with its own alpha (default 1.0; alpha >= 0 keeps y's sign x's). */
export class ELU extends Activation {
  override readonly className = 'ELU';

  constructor(config: Record<string, unknown>, where = 'ELU') {
    super({ activation: 'elu' }, where);
    const r = new ConfigReader(config, where);
    r.only(['alpha']);
    this.alpha = r.number('alpha', ELU_DEFAULT_ALPHA, 0);
    if (this.activation !== Act.elu) throw new ArgumentError(`${where}: internal activation mismatch`);
  }

  override config(): Record<string, unknown> {
    return { alpha: this.alpha };
  }
}
