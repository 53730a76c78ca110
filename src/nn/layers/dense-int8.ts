// A quantized Dense layer (README "int8 models"): int8 weights, one float32 scale per
// output channel, activations quantized per row at run time, int32 sums, then scale, bias
// and activation in float32. It stands in for the Dense it was made from (same class name,
// config, shapes and parameters: the float parameters hold the dequantized weights, so
// summaries and exports see what the int8 layer computes) and runs inference only.
//
// Heap, allocated once per layer: w [n4, kp] int8 codes (Wᵀ: one row per output channel,
// zero-padded to kp = in rounded up to 16 and n4 = units rounded up to 4), wScale and bias
// n4 floats each (abi.ts "int8 inference"). Each plan adds its activation codes and row
// scales in `work`.

import { UnsupportedError } from '../../errors.js';
import type { Kernels } from '../../kernels/kernels.js';
import { activationAlpha } from '../activations.js';
import { ActivatedLayer, type LayerBuffers, type RunContext } from '../layer.js';
import type { Planner } from '../planner.js';
import { sizeOf, type Shape, type Tensor } from '../tensor.js';
import type { Dense } from './dense.js';

const roundUp = (v: number, to: number): number => Math.ceil(v / to) * to;

/** Elements of a heap that hold `bytes` bytes. */
function elementsFor(kernels: Kernels, bytes: number): number {
  return Math.ceil(bytes / kernels.heap.bytesPerElement);
}

export class Int8Dense extends ActivatedLayer {
  readonly className = 'Dense';
  readonly activation: number;
  readonly units: number;
  readonly inDim: number;
  /** Depth of a code row: in, rounded up to 16. */
  readonly kp: number;
  private readonly rowsPerSample: number;
  private readonly w: number;
  private readonly wScale: number;
  private readonly bias: number;

  /**
   * Puts the codes (Keras layout [in, units]) and per-channel scales of `dense` on the heap;
   * `name` ({part}.{index}) is how errors refer to the layer.
   */
  constructor(
    readonly float: Dense,
    readonly name: string,
    readonly codes: Int8Array,
    readonly scales: Float32Array,
    private readonly kernels: Kernels,
  ) {
    super();
    this.activation = float.activation;
    this.units = float.units;
    this.inShape = float.inShape;
    this.outShape = float.outShape;
    this.params = float.params;
    this.inDim = float.inShape[float.inShape.length - 1] ?? 0;
    this.rowsPerSample = sizeOf(float.inShape) / Math.max(this.inDim, 1);
    this.kp = roundUp(this.inDim, 16);
    const n4 = roundUp(this.units, 4);
    const heap = kernels.heap;
    this.w = heap.allocZeroed(elementsFor(kernels, n4 * this.kp));
    this.wScale = heap.allocZeroed(n4);
    this.bias = float.useBias ? heap.allocZeroed(n4) : -1;
    const d = heap.data;
    const wt = new Int8Array(d.buffer, d.byteOffset + this.w * heap.bytesPerElement, n4 * this.kp);
    for (let i = 0; i < this.inDim; i++) {
      for (let c = 0; c < this.units; c++) wt[c * this.kp + i] = codes[i * this.units + c]!;
    }
    heap.write(this.wScale, scales);
    if (this.bias >= 0) heap.write(this.bias, heap.read(float.params[1]!.value, this.units));
  }

  build(input: Shape): Shape {
    return this.float.build(input);
  }

  config(): Record<string, unknown> {
    return this.float.config();
  }

  /** Codes of the activations [rows, kp] followed by their row scales. */
  override plan(pl: Planner, x: Tensor, dx: Tensor | null, batch: number, training: boolean, logits = false): LayerBuffers {
    if (training) {
      throw new UnsupportedError(`${this.name} is an int8 Dense layer: a quantized model runs inference only (train the float model, then quantize it again)`);
    }
    const b = super.plan(pl, x, dx, batch, false, logits);
    const rows = batch * this.rowsPerSample;
    b.work = pl.tensor([elementsFor(this.kernels, rows * this.kp) + rows]);
    return b;
  }

  forward(ctx: RunContext, b: LayerBuffers, n: number): void {
    const k = ctx.kernels;
    const rows = n * this.rowsPerSample;
    const q = b.work!.offset;
    const scales = q + b.work!.shape[0]! - b.x.shape[0]! * this.rowsPerSample;
    // Codes of a row without negatives (after relu, sigmoid, or unit-range input) are in
    // [0, 127]: the relaxed i8 x i7 dot may read them. Both gemms give the same numbers.
    const inRange = k.int8QuantizeRows(b.x.offset, rows, this.inDim, q, this.kp, scales) === 1;
    const gemm = inRange ? k.int8GemmRelaxed : k.int8GemmDot16;
    const out = b.z ?? b.y;
    gemm.call(k, rows, this.units, this.kp, q, scales, this.w, this.wScale, this.bias, out.offset);
    if (b.z || this.activation !== 0) k.biasActForward(out.offset, -1, b.y.offset, rows, this.units, this.activation, activationAlpha(this.activation));
  }

  backward(): void {
    throw new UnsupportedError(`${this.name} is an int8 Dense layer: it has no backward pass`);
  }

  /** Frees the layer's heap (the float parameters belong to the model's store). */
  dispose(): void {
    for (const off of [this.w, this.wScale, this.bias]) if (off >= 0) this.kernels.heap.free(off);
  }
}
