// Tick positions and labels: round numbers a reader can interpolate between.
// Linear axes step by 1, 2 or 5 times a power of ten; log axes put ticks on decades
// and fall back to 1-2-5 (then 1..9) multiples when the range spans too few decades.

/** The smallest 1-2-5 step (1, 2, 5, 10, 20, ...) that is >= raw. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  // Tolerance absorbs rounding in raw / mag, so a raw step of exactly 0.2 stays 0.2.
  const f = norm <= 1 + 1e-9 ? 1 : norm <= 2 + 1e-9 ? 2 : norm <= 5 + 1e-9 ? 5 : 10;
  return f * mag;
}

/**
 * Ticks at multiples of a 1-2-5 step inside [lo, hi], aiming for about `target` of them.
 * `minStep` keeps integer quantities (epochs) on integer ticks.
 */
export function linearTicks(lo: number, hi: number, target: number, minStep = 0): number[] {
  if (!(hi > lo)) return Number.isFinite(lo) ? [lo] : [];
  const step = Math.max(niceStep((hi - lo) / Math.max(1, target)), minStep);
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  const ticks: number[] = [];
  // Multiplying (not accumulating) keeps 0.1 * 3 from drifting to 0.30000000000000004.
  for (let k = first; k <= last; k++) ticks.push(cleanFloat(k * step));
  return ticks;
}

/** Ticks for a log axis over [lo, hi] (both > 0), about `target` of them, at least two when possible. */
export function logTicks(lo: number, hi: number, target: number): number[] {
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  const inRange = (v: number): boolean => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
  const decades: number[] = [];
  for (let e = Math.ceil(a - 1e-9); e <= Math.floor(b + 1e-9); e++) decades.push(e);
  if (decades.length >= 3) {
    const every = Math.ceil(decades.length / Math.max(1, target));
    return decades.filter((e) => e % every === 0).map((e) => cleanFloat(10 ** e));
  }
  for (const mantissas of [[1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]]) {
    const ticks: number[] = [];
    for (let e = Math.floor(a) - 1; e <= Math.ceil(b); e++) {
      for (const m of mantissas) {
        const v = cleanFloat(m * 10 ** e);
        if (inRange(v)) ticks.push(v);
      }
    }
    if (ticks.length >= 3 && ticks.length <= target * 1.5) return ticks;
    // Denser mantissas would only crowd more: two decades already frame the data.
    if (decades.length === 2) return decades.map((e) => cleanFloat(10 ** e));
  }
  // Less than a factor of ~2: plain round numbers still read correctly on a log axis.
  return linearTicks(lo, hi, Math.min(target, 5));
}

/** Rounds away binary noise: 0.30000000000000004 -> 0.3. */
function cleanFloat(v: number): number {
  return v === 0 ? 0 : Number(v.toPrecision(12));
}

/**
 * Labels for a set of ticks, with the same number of decimals for all of them on a
 * linear axis (0.10, 0.15, 0.20) and exponent notation only for very large or small
 * magnitudes (1e-4, 2e6).
 */
export function formatTicks(ticks: readonly number[], log = false): string[] {
  const biggest = Math.max(0, ...ticks.map(Math.abs));
  const smallest = Math.min(...ticks.filter((t) => t !== 0).map(Math.abs));
  const exponent = biggest >= 1e5 || (Number.isFinite(smallest) && smallest < 1e-3);
  if (exponent) return ticks.map(formatExponent);
  if (log || ticks.length < 2) return ticks.map((t) => String(t));
  // Decimals of the finest gap between neighbours: step 0.05 -> 2 decimals.
  let step = Infinity;
  for (let i = 1; i < ticks.length; i++) step = Math.min(step, Math.abs(ticks[i]! - ticks[i - 1]!));
  const decimals = Math.max(0, Math.min(10, -Math.floor(Math.log10(step) + 1e-9)));
  return ticks.map((t) => t.toFixed(decimals).replace(/^-(0\.?0*)$/, '$1'));
}

function formatExponent(v: number): string {
  if (v === 0) return '0';
  const [mantissa, exp] = v.toExponential().split('e') as [string, string];
  const m = Number(Number(mantissa).toPrecision(3));
  return `${m}e${exp.replace('+', '')}`;
}
