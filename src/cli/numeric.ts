// Model outputs are checked before they are reported or written: finite weights can still
// overflow float32 in a forward pass (3e38 in a Dense kernel gives infinities, then NaN),
// and a NaN must never reach a picture, a tensor file or a metric printed as null.

import { NumericError } from '../errors.js';

/** Why outputs overflow when the file loaded cleanly (its values are all finite). */
export const OVERFLOW_CAUSE =
  "the model's weights are likely out of range (finite but so large that the forward pass overflows float32); retrain it or check the file";

/** Where the first non-finite value of `values` ([n, per] row-major) is, as text; null when all are finite. */
export function firstNonFinite(values: Float32Array, per: number, what: string): string | null {
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i]!)) continue;
    const sample = Math.floor(i / per);
    return `the ${what} of sample ${sample} is ${values[i]} at element ${i - sample * per}`;
  }
  return null;
}

/**
 * Returns `values` ([n, per] row-major) when every value is finite; otherwise a
 * NumericError names `what`, the first offending sample and element, and the cause.
 */
export function requireFinite(values: Float32Array, per: number, what: string, model: string): Float32Array {
  const bad = firstNonFinite(values, per, what);
  if (bad) throw new NumericError(`${model}: ${bad}; ${OVERFLOW_CAUSE}`);
  return values;
}

/** The sample holding the largest |value| and that value: where an overflow most likely starts. */
export function largestValue(values: Float32Array, per: number): { sample: number; value: number } {
  let at = 0;
  for (let i = 1; i < values.length; i++) if (Math.abs(values[i]!) > Math.abs(values[at]!)) at = i;
  return { sample: Math.floor(at / per), value: values[at] ?? 0 };
}
