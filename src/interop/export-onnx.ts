// ONNX export (opset 17, IR version 8): the DAG an ExportPlan selects as one graph — its
// chains of layers, Concat (axis: the last) and Softmax (a classifier's probabilities).
//
// Layout: tensors stay NHWC as in Keras; each conv-family op (Conv, ConvTranspose,
// MaxPool, Resize, and BatchNormalization on more than two axes) is wrapped in
// Transpose(NHWC -> NCHW) ... Transpose(NCHW -> NHWC), as tf2onnx does. Transposes are then
// pushed down through elementwise ops (activations) and adjacent inverse pairs cancel, so
// a run of convolutions transposes once on the way in and once on the way out.
//
//   Keras layer             ONNX
//   Dense                   Gemm (2-D input) or MatMul + Add; kernel [in, out] as it is
//   Conv2D                  Conv, kernel -> [out, in, kh, kw], explicit pads (Keras 'same':
//                           the odd extra row / column at the bottom / right)
//   Conv2DTranspose         ConvTranspose, kernel [kh, kw, out, in] -> [in, out, kh, kw],
//                           explicit pads / output_padding giving Keras' output size
//   MaxPooling2D            MaxPool with explicit pads
//   UpSampling2D            Resize nearest, asymmetric, floor (= repeat)
//   Flatten / Reshape       Flatten(axis 1) / Reshape([-1, ...target]) on NHWC order
//   BatchNormalization      BatchNormalization (inference: moving statistics)
//   Dropout, SpatialDropout2D, GaussianNoise   nothing (identity at inference)
//   activations             Relu, LeakyRelu, Sigmoid, Tanh, Exp, Elu, Selu, Softplus;
//                           silu x*Sigmoid(x); gelu via Erf; gelu_approximate via Tanh
//                           (opset 17 has no Gelu)

import { ShapeError } from '../errors.js';
import { convAxis, convTransposeAxis } from '../kernels/geometry.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { Activation } from '../nn/layers/activation.js';
import { BatchNormalization } from '../nn/layers/batch-norm.js';
import { Conv2D, Conv2DTranspose } from '../nn/layers/conv2d.js';
import { Dense } from '../nn/layers/dense.js';
import { MaxPooling2D, UpSampling2D } from '../nn/layers/pooling.js';
import { Flatten, Reshape } from '../nn/layers/reshape.js';
import { activationAlpha } from '../nn/activations.js';
import { exportPlan, type ExportChain, type ExportLayer, type ExportNode, type ExportOptions, type ExportPlan } from './export-parts.js';
import { encodeOnnxModel, type AttrValue, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-proto.js';

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;
const PRODUCER_VERSION = '0.1.0';

/** Layers that are the identity at inference. */
const IDENTITY_CLASSES = new Set(['Dropout', 'SpatialDropout2D', 'GaussianNoise']);

/** Keras' selu constants, as the kernels use them. */
const SELU_ALPHA = 1.67326324;
const SELU_GAMMA = 1.05070098;

/** Emits nodes and initializers with unique names. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly used = new Set<string>();
  private readonly scalars = new Map<number, string>();

  unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  node(op: string, inputs: string[], prefix: string, attrs?: Record<string, AttrValue>, output?: string): string {
    const out = output ?? this.unique(`${prefix}/${op}`);
    if (output) this.used.add(output);
    this.nodes.push({ op, inputs, outputs: [out], name: this.unique(`${prefix}/${op}_node`), ...(attrs ? { attrs } : {}) });
    return out;
  }

  weight(name: string, dims: readonly number[], data: Float32Array | BigInt64Array): string {
    const n = this.unique(name);
    this.initializers.push({ name: n, dims, data });
    return n;
  }

  /** A float32 scalar constant, shared by every node that uses the same value. */
  scalar(v: number): string {
    let name = this.scalars.get(v);
    if (!name) {
      name = this.weight(`const/${v}`, [], Float32Array.of(v));
      this.scalars.set(v, name);
    }
    return name;
  }
}

/**
 * One step of a chain before lowering: a Transpose, an elementwise step (which commutes with
 * a transpose), or any other op. `emit` writes its nodes and returns the output name.
 */
type Step =
  | { kind: 'transpose'; perm: number[]; prefix: string }
  | { kind: 'elementwise' | 'op'; emit: (g: GraphBuilder, x: string) => string };

function isInverse(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((_, i) => b[a[i]!] === i);
}

/** NHWC -> NCHW (channels to axis 1) and back, for a tensor of `rank` axes counting the batch. */
function toChannelsFirst(rank: number): number[] {
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}
function toChannelsLast(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/**
 * Pushes each Transpose past the elementwise steps after it and drops adjacent inverse
 * pairs, until nothing changes; returns the steps and how many pairs cancelled.
 */
export function cancelTransposes(steps: Step[]): { steps: Step[]; cancelled: number } {
  const s = [...steps];
  let cancelled = 0;
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i + 1 < s.length; i++) {
      const a = s[i]!;
      const b = s[i + 1]!;
      if (a.kind !== 'transpose') continue;
      if (b.kind === 'transpose' && isInverse(a.perm, b.perm)) {
        s.splice(i, 2);
        cancelled++;
        changed = true;
        break;
      }
      if (b.kind === 'elementwise') {
        s[i] = b;
        s[i + 1] = a;
        changed = true;
      }
    }
  }
  return { steps: s, cancelled };
}

function activationNodes(g: GraphBuilder, x: string, name: string, alpha: number, prefix: string): string {
  switch (name) {
    case 'linear':
      return x;
    case 'relu':
      return g.node('Relu', [x], prefix);
    case 'leaky_relu':
      return g.node('LeakyRelu', [x], prefix, { alpha: { float: alpha } });
    case 'sigmoid':
      return g.node('Sigmoid', [x], prefix);
    case 'tanh':
      return g.node('Tanh', [x], prefix);
    case 'exponential':
      return g.node('Exp', [x], prefix);
    case 'elu':
      return g.node('Elu', [x], prefix, { alpha: { float: alpha } });
    case 'selu':
      return g.node('Selu', [x], prefix, { alpha: { float: SELU_ALPHA }, gamma: { float: SELU_GAMMA } });
    case 'softplus':
      return g.node('Softplus', [x], prefix);
    case 'silu':
    case 'swish':
      return g.node('Mul', [x, g.node('Sigmoid', [x], prefix)], prefix);
    case 'gelu': {
      // 0.5 x (1 + erf(x / sqrt 2))
      const erf = g.node('Erf', [g.node('Mul', [x, g.scalar(Math.SQRT1_2)], prefix)], prefix);
      return g.node('Mul', [g.node('Mul', [x, g.node('Add', [erf, g.scalar(1)], prefix)], prefix), g.scalar(0.5)], prefix);
    }
    case 'gelu_approximate': {
      // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
      const cube = g.node('Mul', [g.node('Mul', [x, x], prefix), x], prefix);
      const inner = g.node('Add', [x, g.node('Mul', [cube, g.scalar(0.044715)], prefix)], prefix);
      const t = g.node('Tanh', [g.node('Mul', [inner, g.scalar(Math.sqrt(2 / Math.PI))], prefix)], prefix);
      return g.node('Mul', [g.node('Mul', [x, g.node('Add', [t, g.scalar(1)], prefix)], prefix), g.scalar(0.5)], prefix);
    }
    default:
      throw new ShapeError(`ONNX export: ${prefix}: activation ${JSON.stringify(name)} has no ONNX form`);
  }
}

function activationStep(name: string, alpha: number, prefix: string): Step[] {
  return name === 'linear' ? [] : [{ kind: 'elementwise', emit: (g, x) => activationNodes(g, x, name, alpha, prefix) }];
}

/** Keras [kh, kw, a, b] -> [b, a, kh, kw] (Conv2D: HWIO -> OIHW; Conv2DTranspose: [kh, kw, out, in] -> [in, out, kh, kw]). */
function hwabToBaHw(w: Float32Array, kh: number, kw: number, a: number, b: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < a; i++) {
        for (let o = 0; o < b; o++) out[((o * a + i) * kh + y) * kw + x] = w[((y * kw + x) * a + i) * b + o]!;
      }
    }
  }
  return out;
}

/** [top, left, bottom, right] of a Keras convolution or pooling window. */
function windowPads(inH: number, inW: number, k: [number, number], s: [number, number], padding: 'same' | 'valid'): number[] {
  const axis = (size: number, kk: number, ss: number): [number, number] => {
    const { out, padBefore } = convAxis(size, kk, ss, padding);
    const total = padding === 'same' ? Math.max((out - 1) * ss + kk - size, 0) : 0;
    return [padBefore, total - padBefore];
  };
  const [t, b] = axis(inH, k[0], s[0]);
  const [l, r] = axis(inW, k[1], s[1]);
  return [t, l, b, r];
}

/**
 * ConvTranspose pads and output_padding that give Keras' output size: ONNX's unpadded
 * output is s (in - 1) + k; Keras crops the conv's padding (the smaller half first) or,
 * when k < s, appends s - k zero rows at the end (output_padding).
 */
function transposePads(inSize: number, k: number, s: number, padding: 'same' | 'valid'): { before: number; after: number; extra: number } {
  const { out, padBefore } = convTransposeAxis(inSize, k, s, padding);
  const diff = s * (inSize - 1) + k - out;
  if (diff >= 0) return { before: padBefore, after: diff - padBefore, extra: 0 };
  return { before: 0, after: 0, extra: -diff };
}

/** The steps of one layer (rank counts the batch axis of the layer's input). */
function layerSteps(l: ExportLayer): Step[] {
  const { layer, name: prefix } = l;
  const rank = layer.inShape.length + 1;
  const wrap = (inner: Step[], r = rank): Step[] => [
    { kind: 'transpose', perm: toChannelsFirst(r), prefix },
    ...inner,
    { kind: 'transpose', perm: toChannelsLast(r), prefix },
  ];
  const w = (param: string): Float32Array => l.weights.get(param)!;
  if (IDENTITY_CLASSES.has(layer.className)) return [];
  if (layer instanceof Conv2DTranspose || layer instanceof Conv2D) {
    const [kh, kw] = layer.kernelSize;
    const cin = layer.inShape[2]!;
    const cout = layer.filters;
    const transposed = layer instanceof Conv2DTranspose;
    const emit = (g: GraphBuilder, x: string): string => {
      const kernel = transposed
        ? g.weight(`${prefix}.kernel`, [cin, cout, kh, kw], hwabToBaHw(w('kernel'), kh, kw, cout, cin))
        : g.weight(`${prefix}.kernel`, [cout, cin, kh, kw], hwabToBaHw(w('kernel'), kh, kw, cin, cout));
      const inputs = [x, kernel];
      if (layer.useBias) inputs.push(g.weight(`${prefix}.bias`, [cout], w('bias')));
      const attrs: Record<string, AttrValue> = { kernel_shape: { ints: [kh, kw] }, strides: { ints: layer.strides } };
      if (transposed) {
        const [ih, iw] = layer.inShape as [number, number];
        const y = transposePads(ih, kh, layer.strides[0], layer.padding);
        const xx = transposePads(iw, kw, layer.strides[1], layer.padding);
        attrs['pads'] = { ints: [y.before, xx.before, y.after, xx.after] };
        attrs['output_padding'] = { ints: [y.extra, xx.extra] };
      } else {
        attrs['pads'] = { ints: windowPads(layer.inShape[0]!, layer.inShape[1]!, layer.kernelSize, layer.strides, layer.padding) };
      }
      return g.node(transposed ? 'ConvTranspose' : 'Conv', inputs, prefix, attrs);
    };
    return wrap([{ kind: 'op', emit }, ...activationStep(layer.activationName, activationAlpha(layer.activation), prefix)]);
  }
  if (layer instanceof Dense) {
    const emit = (g: GraphBuilder, x: string): string => {
      const kernel = g.weight(`${prefix}.kernel`, [layer.inShape[layer.inShape.length - 1]!, layer.units], w('kernel'));
      const bias = layer.useBias ? g.weight(`${prefix}.bias`, [layer.units], w('bias')) : null;
      if (rank === 2) return g.node('Gemm', bias ? [x, kernel, bias] : [x, kernel], prefix);
      const y = g.node('MatMul', [x, kernel], prefix);
      return bias ? g.node('Add', [y, bias], prefix) : y;
    };
    return [{ kind: 'op', emit }, ...activationStep(layer.activationName, activationAlpha(layer.activation), prefix)];
  }
  if (layer instanceof MaxPooling2D) {
    const pads = windowPads(layer.inShape[0]!, layer.inShape[1]!, layer.poolSize, layer.strides, layer.padding);
    const emit = (g: GraphBuilder, x: string): string =>
      g.node('MaxPool', [x], prefix, { kernel_shape: { ints: layer.poolSize }, strides: { ints: layer.strides }, pads: { ints: pads } });
    return wrap([{ kind: 'op', emit }]);
  }
  if (layer instanceof UpSampling2D) {
    const emit = (g: GraphBuilder, x: string): string =>
      g.node('Resize', [x, '', g.weight(`${prefix}.scales`, [4], Float32Array.of(1, 1, ...layer.size))], prefix, {
        mode: 'nearest',
        coordinate_transformation_mode: 'asymmetric',
        nearest_mode: 'floor',
      });
    return wrap([{ kind: 'op', emit }]);
  }
  if (layer instanceof Flatten) return [{ kind: 'op', emit: (g, x) => g.node('Flatten', [x], prefix, { axis: 1 }) }];
  if (layer instanceof Reshape) {
    const emit = (g: GraphBuilder, x: string): string =>
      g.node('Reshape', [x, g.weight(`${prefix}.shape`, [layer.targetShape.length + 1], BigInt64Array.from([-1, ...layer.targetShape].map(BigInt)))], prefix);
    return [{ kind: 'op', emit }];
  }
  if (layer instanceof BatchNormalization) {
    const c = layer.inShape[layer.inShape.length - 1]!;
    const emit = (g: GraphBuilder, x: string): string => {
      const ones = new Float32Array(c).fill(1);
      const inputs = [
        g.weight(`${prefix}.gamma`, [c], layer.scale ? w('gamma') : ones),
        g.weight(`${prefix}.beta`, [c], layer.center ? w('beta') : new Float32Array(c)),
        g.weight(`${prefix}.moving_mean`, [c], w('moving_mean')),
        g.weight(`${prefix}.moving_variance`, [c], w('moving_variance')),
      ];
      return g.node('BatchNormalization', [x, ...inputs], prefix, { epsilon: { float: layer.epsilon } });
    };
    const step: Step = { kind: 'op', emit };
    return rank === 2 ? [step] : wrap([step]);
  }
  if (layer instanceof Activation) {
    // Activation, LeakyReLU, ELU: the layer's own alpha (LeakyReLU / ELU) or the string's.
    const own = layer.config()['alpha'];
    return activationStep(layer.activationName, typeof own === 'number' ? own : activationAlpha(layer.activation), prefix);
  }
  throw new ShapeError(`ONNX export: ${l.part} layer ${l.index} (${layer.className}) has no ONNX form`);
}

export interface OnnxGraphInfo {
  model: OnnxModel;
  /** Transpose pairs removed (NHWC <-> NCHW round trips between adjacent conv-family ops). */
  cancelledTransposes: number;
}

/**
 * The plan's nodes in runs: chains that run one after another (a linear path) lower as one
 * step list, so transposes cancel across them; a concatenation or a softmax stands alone.
 */
function segments(plan: ExportPlan): ExportNode[][] {
  const out: ExportNode[][] = [];
  const readers = (v: string) => plan.nodes.filter((d) => (d.kind === 'concat' ? d.inputs.includes(v) : d.input === v)).length;
  const outputs = new Set(plan.outputs.map((o) => o.name));
  for (const c of plan.nodes) {
    const last = out[out.length - 1];
    const prev = last?.[last.length - 1];
    // Continue a run only when this chain reads its output, nothing else does, and it is no graph output.
    if (c.kind === 'chain' && prev?.kind === 'chain' && prev.output === c.input && readers(c.input) === 1 && !outputs.has(prev.output)) last!.push(c);
    else out.push([c]);
  }
  return out;
}

/** A run of chains, lowered: its layers' steps with Transpose pairs cancelled; returns how many pairs cancelled. */
function emitChains(g: GraphBuilder, seg: ExportChain[]): number {
  const all = seg.flatMap((c) => c.layers.flatMap(layerSteps));
  const { steps, cancelled } = cancelTransposes(all);
  let x = seg[0]!.input;
  const output = seg[seg.length - 1]!.output;
  for (const step of steps) {
    x = step.kind === 'transpose' ? g.node('Transpose', [x], step.prefix, { perm: { ints: step.perm } }) : step.emit(g, x);
  }
  // The run's last value gets the chain's output name (an Identity when no node made it, as for an identity-only chain).
  const last = g.nodes[g.nodes.length - 1];
  if (last && last.outputs[0] === x && x !== seg[0]!.input) {
    last.outputs[0] = output;
    g.unique(output);
  } else g.node('Identity', [x], output, undefined, output);
  return cancelled;
}

/** The ONNX graph of an export, before encoding (tests read its nodes). */
export function buildOnnxGraph(model: Autoencoder, options: ExportOptions = {}, call = 'buildOnnxGraph(model, options)'): OnnxGraphInfo {
  const plan = exportPlan(model, options, call);
  const g = new GraphBuilder();
  for (const input of plan.inputs) g.unique(input.name);
  let cancelled = 0;
  for (const seg of segments(plan)) {
    const node = seg[0]!;
    // Concat and Softmax on the last axis of NHWC / [N, features] tensors (rank counts the batch).
    if (node.kind === 'concat') g.node('Concat', node.inputs, node.name, { axis: node.shape.length }, node.output);
    else if (node.kind === 'softmax') g.node('Softmax', [node.input], node.name, { axis: node.shape.length }, node.output);
    else cancelled += emitChains(g, seg as ExportChain[]);
  }
  const dims = (shape: readonly number[]): (number | string)[] => ['N', ...shape];
  const label = plan.inputs.find((i) => i.name === 'label');
  const onnx: OnnxModel = {
    irVersion: ONNX_IR_VERSION,
    opset: ONNX_OPSET,
    producerName: 'ae-wasm',
    producerVersion: PRODUCER_VERSION,
    docString:
      `ae-wasm ${plan.kind} export, part ${plan.part}: NHWC tensors in the model's own (normalised) space; see metadata ae-wasm.preprocessing` +
      (label ? `; input label: the class as a one-hot float32 row [N, ${label.shape[0]}]` : ''),
    graphName: `ae_wasm_${plan.part}`,
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: plan.inputs.map((i) => ({ name: i.name, dims: dims(i.shape) })),
    outputs: plan.outputs.map((o) => ({ name: o.name, dims: dims(o.shape) })),
    metadata: plan.metadata,
  };
  return { model: onnx, cancelledTransposes: cancelled };
}

/** An ONNX model (opset 17, IR 8) of `part` of the model: input NHWC [N, ...shape] float32. */
export function exportOnnx(model: Autoencoder, options: ExportOptions = {}): Uint8Array {
  return encodeOnnxModel(buildOnnxGraph(model, options, 'exportOnnx(model, options)').model);
}
