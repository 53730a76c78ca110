// Parameters: values live in the heap for the model's lifetime; gradients and optimizer
// slots are added once, the first time the model is compiled for training. A part can be
// frozen (Keras' `trainable = False`): its parameters are then not trainable — no optimizer
// slots, no gradients allocated for them — and graphs compiled afterwards skip its backward.

import { ShapeError } from '../errors.js';
import type { Kernels } from '../kernels/kernels.js';
import type { RandomStream } from '../random/streams.js';
import type { Param, ParamSpec } from './layer.js';
import { formatShape, sameShape, sizeOf } from './tensor.js';

export class ParamStore {
  readonly list: Param[] = [];
  private readonly byName = new Map<string, Param>();
  private slotNames: string[] | null = null;
  /** Parameters trainable by their spec that freeze() made non-trainable, by part. */
  private readonly frozen = new Map<string, Param[]>();

  constructor(readonly kernels: Kernels) {}

  add(name: string, spec: ParamSpec): Param {
    if (this.byName.has(name)) throw new ShapeError(`duplicate parameter name ${name}`);
    const size = sizeOf(spec.shape);
    const p: Param = {
      name, shape: spec.shape, size, value: this.kernels.heap.allocZeroed(size), grad: -1, slots: new Map(), init: spec.init,
      trainable: spec.trainable ?? true,
    };
    this.list.push(p);
    this.byName.set(name, p);
    return p;
  }

  get(name: string): Param | undefined {
    return this.byName.get(name);
  }

  /** The parameters the optimizer updates (every one but non-trainable state), in order. */
  get trainable(): Param[] {
    return this.list.filter((p) => p.trainable);
  }

  /** The parts freeze() froze. */
  get frozenParts(): ReadonlySet<string> {
    return new Set(this.frozen.keys());
  }

  /**
   * Freezes (or, with frozen = false, thaws) the parameters of `part` (named `{part}.{i}.{param}`):
   * a frozen parameter is not trainable, so the optimizer never sees it and its slots are freed.
   * Non-trainable state (moving statistics) stays as it is either way, and a part without
   * trainable parameters (a Flatten) is frozen all the same: training graphs then run it in
   * inference mode too. The next ensureTraining allocates afresh (and zeroes) the slots of
   * every trainable parameter. A gradient buffer already allocated is kept: a graph compiled
   * before the freeze still writes it.
   */
  freeze(part: string, frozen = true): void {
    if (frozen === this.frozen.has(part)) return;
    if (frozen) {
      const ps = this.list.filter((p) => p.trainable && p.name.startsWith(`${part}.`));
      for (const p of ps) {
        p.trainable = false;
        for (const off of p.slots.values()) this.kernels.heap.free(off);
        p.slots.clear();
      }
      this.frozen.set(part, ps);
    } else {
      for (const p of this.frozen.get(part)!) p.trainable = true;
      this.frozen.delete(part);
    }
    this.slotNames = null;
  }

  /** Total number of parameter values. */
  get count(): number {
    return this.list.reduce((s, p) => s + p.size, 0);
  }

  /**
   * Keras defaults: glorot uniform kernels (limit sqrt(6 / (fan_in + fan_out))), zero biases,
   * BatchNormalization's ones and zeros. Only glorot draws from the stream, so adding such
   * a layer leaves every other kernel's initial values unchanged.
   */
  initialize(stream: RandomStream): void {
    for (const p of this.list) {
      if (p.init.kind === 'zeros' || p.init.kind === 'ones') {
        this.kernels.fill(p.value, p.size, p.init.kind === 'ones' ? 1 : 0);
      } else {
        const limit = Math.sqrt(6 / (p.init.fanIn + p.init.fanOut));
        this.kernels.randUniform(p.value, p.size, stream.key, stream.take(p.size), -limit, limit);
      }
    }
  }

  /**
   * Allocates gradients and the named optimizer slots (zeroed) of the trainable parameters
   * (non-trainable state has neither); idempotent for the same slots.
   */
  ensureTraining(slots: readonly string[]): void {
    if (this.slotNames && this.slotNames.join() === slots.join()) return;
    for (const p of this.list) {
      if (!p.trainable) continue;
      if (p.grad < 0) p.grad = this.kernels.heap.allocZeroed(p.size);
      for (const off of p.slots.values()) this.kernels.heap.free(off);
      p.slots.clear();
      for (const s of slots) p.slots.set(s, this.kernels.heap.allocZeroed(p.size));
    }
    this.slotNames = [...slots];
  }

  /** Zeroes every optimizer slot (a fresh optimizer state). */
  resetSlots(): void {
    for (const p of this.list) for (const off of p.slots.values()) this.kernels.fill(off, p.size, 0);
  }

  read(p: Param): Float32Array {
    return this.kernels.heap.read(p.value, p.size);
  }

  write(p: Param, values: ArrayLike<number>, shape: readonly number[] = p.shape): void {
    if (!sameShape(shape, p.shape) || values.length !== p.size) {
      throw new ShapeError(`parameter ${p.name}: expected shape ${formatShape(p.shape)}, got ${formatShape(shape)} with ${values.length} values`);
    }
    this.kernels.heap.write(p.value, values);
  }

  /** Frees every buffer (the store is unusable afterwards). */
  dispose(): void {
    for (const p of this.list) {
      this.kernels.heap.free(p.value);
      if (p.grad >= 0) this.kernels.heap.free(p.grad);
      for (const off of p.slots.values()) this.kernels.heap.free(off);
    }
    this.list.length = 0;
    this.byName.clear();
  }
}
