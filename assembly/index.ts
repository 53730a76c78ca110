// The exported ABI: the only surface TypeScript sees. Every tensor argument is an
// element offset (f32 index) into this module's memory; see src/kernels/kernels.ts.

export { setScratch, scratchFloats } from './scratch';
export { sgemm, sgemmBiasAct } from './gemm';
export {
  biasActForward, actBackward, biasBackward,
  fill, copy, add, mul, scale, axpy, exp, square, squareBackward,
  abs, sign, absBackward, clip, clipBackward, rowSum, rowSumBackward, sum, sumSquares,
} from './elementwise';
export { conv2dForward, conv2dBackwardInput, conv2dBackwardFilter } from './conv';
export { maxpool2dForward, maxpool2dBackward, upsample2dForward, upsample2dBackward } from './pool';
export {
  mseForward, mseBackward, bceForward, bceBackward, bceLogitsForward, bceLogitsBackward,
  klForward, klBackward, reparamForward, reparamBackward,
} from './loss';
export { adamStep, sgdStep } from './optim';
export { randUniform, randNormal } from './random';
export {
  batchNormStats, batchNormMovingUpdate, batchNormForward, batchNormBackward, batchNormBackwardInput,
} from './batchnorm';
export { dropout } from './dropout';
export { lookupU8 } from './lookup';
export { softmaxForward, softmaxCrossEntropy, softmaxCrossEntropyForward } from './softmax';
export { concatForward, concatBackward } from './concat';
export { int8QuantizeRows, int8GemmDot16, int8GemmRelaxed } from './int8';

// The numbers the TypeScript side must agree on (scratch layout, tile and chunk sizes),
// as immutable i32 globals: instance.exports.NAME.value.
export {
  MR, NR, KC, COL_FLOATS, WORK_FLOATS, DUMP_FLOATS, TAB_ENTRIES, PARTIAL_FLOATS, SCRATCH_FLOATS,
} from './scratch';
export { FEW_ROWS } from './gemm';
export { FILTER_CHUNK } from './conv';

/** First byte above the module's static data: JS lays out its heap from here. */
export function heapBase(): usize {
  return __heap_base;
}
