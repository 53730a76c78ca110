// The Kernels interface: the methods the manifest (abi.ts) derives, plus which backend
// and build runs them and the heap their offsets index. Also the ABI's activation codes
// and the conv and pooling geometries the layers hand to the kernels.

import type { KernelMethods } from './abi.js';
import type { Heap } from './heap.js';

/** Activation codes shared by the ABI. */
export const Act = {
  linear: 0,
  relu: 1,
  leakyRelu: 2,
  sigmoid: 3,
  tanh: 4,
  exp: 5,
  elu: 6,
  selu: 7,
  /** Exact gelu, x Phi(x) (Keras' "gelu": approximate=False). */
  gelu: 8,
  /** gelu's tanh form (Keras' approximate=True). */
  geluTanh: 9,
  softplus: 10,
  /** silu = swish, x sigmoid(x). */
  silu: 11,
} as const;
export type ActName = keyof typeof Act;
export type ActCode = (typeof Act)[ActName];

/**
 * Codes whose gradient needs the activation's input: actBackward reads x for them, y for
 * the rest (every other activation is invertible, so its slope follows from y).
 */
export function actBackwardReadsInput(act: number): boolean {
  return act === Act.gelu || act === Act.geluTanh || act === Act.silu;
}

/** Conv geometry, in the order the conv kernels take it after their three tensors. */
export interface ConvGeom {
  n: number;
  ih: number;
  iw: number;
  cin: number;
  oh: number;
  ow: number;
  cout: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  /** Padding before the first row / column (Keras puts the odd extra at bottom/right). */
  padTop: number;
  padLeft: number;
}

/** Pooling geometry: input [n, ih, iw, c] -> output [n, oh, ow, c]. */
export interface PoolGeom {
  n: number;
  ih: number;
  iw: number;
  c: number;
  oh: number;
  ow: number;
  ph: number;
  pw: number;
  sh: number;
  sw: number;
  padTop: number;
  padLeft: number;
}

export type BackendName = 'wasm' | 'js';

/** The kernels of one backend: one method per manifest row (abi.ts), same signature on both. */
export interface Kernels extends KernelMethods {
  readonly backend: BackendName;
  /** Which build of the module runs (e.g. "kernels.wasm"); "js" or "js-f64" for the baseline. */
  readonly build: string;
  /** Why the loader chose that build (asked for, the validate rule, a calibration), for reports; unset when unknown. */
  readonly buildReason?: string;
  readonly heap: Heap;
}
