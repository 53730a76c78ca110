// The cases of the kernel benchmark: sgemm on the dense autoencoder's shapes and on
// squares, and every convolution pass of the TF-tutorial denoiser at batch 256. A case
// knows its FLOPs and how to set itself up on a backend with seeded inputs, so the same
// inputs reach both backends and the outputs can be compared before anything is timed.

import { conv2dGeometry, conv2dTransposeGeometry, type Padding } from '../src/kernels/geometry.js';
import type { ConvGeom, Kernels } from '../src/kernels/kernels.js';
import { randomFloats } from './lib/check.js';

export type ConvCall = 'conv2dForward' | 'conv2dBackwardInput' | 'conv2dBackwardFilter';
export type ConvPass = 'forward' | 'backward_input' | 'backward_filter';
export type SgemmVariant = 'NN' | 'TN' | 'NT';

/** [M, K, N]: C[M, N] = op(A)[M, K] · op(B)[K, N]. */
export type SgemmShape = [number, number, number];

/**
 * A convolution layer as the model sees it: h, w, cin are the layer's input and cout
 * its filters, for Conv2DTranspose too (so the 7x7x8 -> 14x14x8 transposed layer is
 * {h: 7, w: 7, cin: 8, cout: 8, transpose: true}). The underlying conv that the
 * kernels run (conv2dTransposeGeometry) has those roles swapped.
 */
export interface ConvShape {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  stride: number;
  padding: Padding;
  transpose: boolean;
}

/** A case set up on one backend. */
export interface Prepared {
  /** The timed call. */
  run(): void;
  /** A copy of the output the last run() wrote. */
  result(): Float32Array;
  free(): void;
}

export interface KernelCase {
  kernel: 'sgemm' | 'conv2d';
  variant: SgemmVariant | ConvPass;
  /** The Kernels method the case times. */
  call: 'sgemm' | ConvCall;
  /** Conv only: the model layer (conv1 .. conv5). */
  layer?: string;
  shape: SgemmShape | ConvShape;
  /** Table row name, e.g. "sgemm NN (encoder forward)" or "conv3 forward". */
  name: string;
  /** The shape in words, e.g. "256×784×64" or "T 7x7x8 → 14x14x8 s2". */
  dims: string;
  flops: number;
  /** Conv only: whether a training step runs this pass (no input gradient for the data). */
  inTrainingStep?: boolean;
  /**
   * Allocates seeded inputs and the output on `kernels`. `rows` asks for only the first rows
   * of the output, where the kernel allows it (sgemm), to make a cheap reference for a
   * case too slow to run whole on the JS baseline; other cases compute everything.
   */
  prepare(kernels: Kernels, rows?: number): Prepared;
}

// ---- sgemm ---------------------------------------------------------------------------

const FLAGS: Record<SgemmVariant, [number, number]> = { NN: [0, 0], TN: [1, 0], NT: [0, 1] };

function sgemmCase(variant: SgemmVariant, m: number, k: number, n: number, what: string): KernelCase {
  const [transA, transB] = FLAGS[variant];
  return {
    kernel: 'sgemm',
    variant,
    call: 'sgemm',
    shape: [m, k, n],
    name: `sgemm ${variant} (${what})`,
    dims: `${m}×${k}×${n}`,
    flops: 2 * m * n * k,
    prepare(kern, rows = m) {
      const h = kern.heap;
      // A is [M, K] or, transposed, [K, M]; B is [K, N] or [N, K]: same element counts.
      const a = put(kern, randomFloats(m * k, 1));
      const b = put(kern, randomFloats(k * n, 2));
      const c = h.alloc(m * n);
      const lda = transA ? m : k;
      const ldb = transB ? k : n;
      // The first `rows` rows of C need the first rows of op(A), which start at `a`
      // with the same leading dimension whether or not A is transposed.
      return {
        run: () => kern.sgemm(transA, transB, rows, n, k, 1, a, lda, b, ldb, 0, c, n),
        result: () => h.read(c, rows * n),
        free: () => [c, b, a].forEach((o) => h.free(o)),
      };
    },
  };
}

/** Dense layers of the `dense` preset at batch 256 (784 -> 64 -> 784), then squares. */
export function sgemmCases(): KernelCase[] {
  const cases = [
    sgemmCase('NN', 256, 784, 64, 'encoder forward'),
    sgemmCase('NN', 256, 64, 784, 'decoder forward'),
    sgemmCase('TN', 784, 256, 64, 'encoder weight grad'),
    sgemmCase('TN', 64, 256, 784, 'decoder weight grad'),
    sgemmCase('NT', 256, 64, 784, 'encoder input grad'),
    sgemmCase('NT', 256, 784, 64, 'decoder input grad'),
  ];
  for (const s of [512, 1024]) {
    for (const v of ['NN', 'TN', 'NT'] as const) cases.push(sgemmCase(v, s, s, s, 'square'));
  }
  return cases;
}

// ---- conv2d --------------------------------------------------------------------------

interface ConvLayer {
  name: string;
  transpose: boolean;
  h: number;
  w: number;
  cin: number;
  cout: number;
  stride: number;
}

/** The TF-tutorial denoiser (the `conv` preset): 3x3 kernels, 'same' padding. */
const DENOISER: ConvLayer[] = [
  { name: 'conv1', transpose: false, h: 28, w: 28, cin: 1, cout: 16, stride: 2 },
  { name: 'conv2', transpose: false, h: 14, w: 14, cin: 16, cout: 8, stride: 2 },
  { name: 'conv3', transpose: true, h: 7, w: 7, cin: 8, cout: 8, stride: 2 },
  { name: 'conv4', transpose: true, h: 14, w: 14, cin: 8, cout: 16, stride: 2 },
  { name: 'conv5', transpose: false, h: 28, w: 28, cin: 16, cout: 1, stride: 1 },
];

export const DENOISER_BATCH = 256;

/** Which kernel each pass of a layer calls (see src/nn/layers/conv2d.ts). */
const CALLS: Record<'conv' | 'transpose', Record<ConvPass, ConvCall>> = {
  conv: { forward: 'conv2dForward', backward_input: 'conv2dBackwardInput', backward_filter: 'conv2dBackwardFilter' },
  transpose: { forward: 'conv2dBackwardInput', backward_input: 'conv2dForward', backward_filter: 'conv2dBackwardFilter' },
};

function geometry(l: ConvLayer, n: number): ConvGeom {
  const make = l.transpose ? conv2dTransposeGeometry : conv2dGeometry;
  return make(n, l.h, l.w, l.cin, l.cout, 3, 3, l.stride, l.stride, 'same');
}

function convCase(l: ConvLayer, pass: ConvPass, n: number, first: boolean): KernelCase {
  const g = geometry(l, n);
  const call = CALLS[l.transpose ? 'transpose' : 'conv'][pass];
  // Layer-level output size for `dims`: a transposed layer's output is its conv's input.
  const out = l.transpose ? `${g.ih}x${g.iw}x${g.cin}` : `${g.oh}x${g.ow}x${g.cout}`;
  return {
    kernel: 'conv2d',
    variant: pass,
    call,
    layer: l.name,
    shape: { n, h: l.h, w: l.w, cin: l.cin, cout: l.cout, kh: 3, kw: 3, stride: l.stride, padding: 'same', transpose: l.transpose },
    name: `${l.name} ${pass}`,
    dims: `${l.transpose ? 'T ' : ''}${l.h}x${l.w}x${l.cin} → ${out} s${l.stride}`,
    // Nominal FLOPs of the underlying conv; padding taps are counted as if computed.
    flops: 2 * g.n * g.oh * g.ow * g.cout * g.kh * g.kw * g.cin,
    inTrainingStep: !(first && pass === 'backward_input'),
    prepare(kern) {
      return prepareConv(kern, call, g);
    },
  };
}

/**
 * In the underlying conv's terms every call reads two of (X = n ih iw cin,
 * W = kh kw cin cout, Y = n oh ow cout) and writes the third.
 */
function prepareConv(kernels: Kernels, call: ConvCall, g: ConvGeom): Prepared {
  const h = kernels.heap;
  const sizes = { X: g.n * g.ih * g.iw * g.cin, W: g.kh * g.kw * g.cin * g.cout, Y: g.n * g.oh * g.ow * g.cout };
  const [in1, in2, outName] = ({
    conv2dForward: ['X', 'W', 'Y'],
    conv2dBackwardInput: ['Y', 'W', 'X'],
    conv2dBackwardFilter: ['X', 'Y', 'W'],
  } as const)[call];
  const p = put(kernels, randomFloats(sizes[in1], 11));
  const q = put(kernels, randomFloats(sizes[in2], 12));
  const o = h.alloc(sizes[outName]);
  const args = [g.n, g.ih, g.iw, g.cin, g.oh, g.ow, g.cout, g.kh, g.kw, g.sh, g.sw, g.padTop, g.padLeft] as const;
  const fn = kernels[call].bind(kernels);
  return {
    run: () => fn(p, q, o, ...args),
    result: () => h.read(o, sizes[outName]),
    free: () => [o, q, p].forEach((x) => h.free(x)),
  };
}

/** Forward, input gradient and filter gradient of every denoiser layer, in layer order. */
export function convCases(n = DENOISER_BATCH): KernelCase[] {
  const passes: ConvPass[] = ['forward', 'backward_input', 'backward_filter'];
  return DENOISER.flatMap((l, i) => passes.map((p) => convCase(l, p, n, i === 0)));
}

/** What the threads comparison times: a kernel case, or a sequence of them as one call. */
export type ThreadCase = Pick<KernelCase, 'kernel' | 'name' | 'dims' | 'flops' | 'prepare'> & {
  variant: string;
  shape: SgemmShape | ConvShape | { n: number; passes: number };
};

/**
 * The convolutions of one denoiser training step (the passes a step runs, in layer
 * order) as one call: how much threads help a step depends on the mix of passes, and
 * each pass alone is too short to time well in interleaved rounds.
 */
export function denoiserStepCase(n = DENOISER_BATCH): ThreadCase {
  const passes = convCases(n).filter((c) => c.inTrainingStep);
  return {
    kernel: 'conv2d',
    variant: 'step',
    name: 'denoiser step',
    dims: `${passes.length} conv passes, n=${n}`,
    shape: { n, passes: passes.length },
    flops: passes.reduce((sum, c) => sum + c.flops, 0),
    prepare(kernels) {
      const ps = passes.map((c) => c.prepare(kernels));
      return {
        run: () => {
          for (const p of ps) p.run();
        },
        // Every pass's output scaled by its own largest magnitude: a check relative to the
        // largest value then weighs each pass alike (filter gradients are far larger).
        result: () => {
          const parts = ps.map((p) => p.result());
          const out = new Float32Array(parts.reduce((sum, x) => sum + x.length, 0));
          let at = 0;
          for (const x of parts) {
            const scale = x.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
            out.set(x.map((v) => v / scale), at);
            at += x.length;
          }
          return out;
        },
        free: () => [...ps].reverse().forEach((p) => p.free()),
      };
    },
  };
}

/** Tiny versions of every kernel call the cases make, to get V8 to tier the code up. */
export function warmupCases(): KernelCase[] {
  const small = (['NN', 'TN', 'NT'] as const).map((v) => sgemmCase(v, 50, 70, 36, 'warm-up'));
  return [...small, ...convCases(2)];
}

function put(kernels: Kernels, values: Float32Array): number {
  const off = kernels.heap.alloc(values.length);
  kernels.heap.write(off, values);
  return off;
}
