// Tick positions and labels: round numbers a reader can interpolate between.
// Linear axes step by 1, 2 or 5 times a power of ten; log axes put ticks on decades
// and fall back to 1-2-5 (then 1..9) multiples when the range spans too few decades.
//
// Bounded by construction: whatever the range (1e308, 1e-308, infinities, NaN, a single
// value), no loop runs more than a fixed number of times and no axis gets more than
// MAX_TICKS ticks. Loss histories are data; a diverged run must still plot.

/** The most ticks any axis gets; callers ask for fewer (about one per 55-60 px). */
export const MAX_TICKS = 12;

/** The smallest 1-2-5 step (1, 2, 5, 10, 20, ...) that is >= raw. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  // Below ~1e-308 the power of ten is subnormal or 0, and raw / mag loses meaning.
  if (!(mag > 0) || !Number.isFinite(mag)) return raw;
  const norm = raw / mag;
  // Tolerance absorbs rounding in raw / mag, so a raw step of exactly 0.2 stays 0.2.
  const f = norm <= 1 + 1e-9 ? 1 : norm <= 2 + 1e-9 ? 2 : norm <= 5 + 1e-9 ? 5 : 10;
  const step = f * mag;
  return Number.isFinite(step) ? step : raw;
}

/** Ticks lo, hi (or the one finite value) when no round step fits the range. */
function endpoints(lo: number, hi: number): number[] {
  return [lo, hi].filter((v, i, all) => Number.isFinite(v) && all.indexOf(v) === i);
}

/**
 * Ticks at multiples of a 1-2-5 step inside [lo, hi], aiming for about `target` of them
 * (at most MAX_TICKS). `minStep` keeps integer quantities (epochs) on integer ticks.
 */
export function linearTicks(lo: number, hi: number, target: number, minStep = 0): number[] {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return endpoints(lo, hi);
  const want = Math.min(MAX_TICKS, Math.max(1, Math.floor(target) || 1));
  // hi / n - lo / n rather than (hi - lo) / n: the difference of two doubles near
  // +-1.8e308 overflows to Infinity, their scaled difference does not.
  let step = Math.max(niceStep(hi / want - lo / want), minStep);
  let first = Math.ceil(lo / step - 1e-9);
  let last = Math.floor(hi / step + 1e-9);
  // The 1-2-5 rounding and minStep can leave up to ~2.5x the ticks asked for; one wider
  // step (from at most MAX_TICKS - 1 gaps) always brings the count within MAX_TICKS + 1.
  if (!(last - first < MAX_TICKS)) {
    step = Math.max(niceStep(hi / (MAX_TICKS - 1) - lo / (MAX_TICKS - 1)), minStep);
    first = Math.ceil(lo / step - 1e-9);
    last = Math.floor(hi / step + 1e-9);
  }
  if (!Number.isFinite(first) || !Number.isFinite(last) || !(step > 0)) return endpoints(lo, hi);
  const ticks: number[] = [];
  // A counter, not k++ from `first`: past 2^53, k + 1 === k and the loop would never end.
  // Multiplying (not accumulating) keeps 0.1 * 3 from drifting to 0.30000000000000004.
  // Near the ends of the doubles (subnormal steps, 1e308) the product or its cleaned form
  // can round out of the range: such ticks are dropped, never shown outside the data.
  const tol = Math.min(step, hi / 2 - lo / 2) * 1e-9;
  const inside = (v: number): boolean => v >= lo - tol && v <= hi + tol;
  for (let i = 0; i < MAX_TICKS && first + i <= last; i++) {
    const raw = (first + i) * step;
    const clean = cleanFloat(raw);
    const t = inside(clean) ? clean : raw;
    // A step far below the values' precision rounds neighbours to one double.
    if (inside(t) && Number.isFinite(t) && t !== ticks[ticks.length - 1]) ticks.push(t);
  }
  return ticks.length > 0 ? ticks : endpoints(lo, hi);
}

/** Ticks for a log axis over [lo, hi] (both > 0), about `target` of them, at least two when possible. */
export function logTicks(lo: number, hi: number, target: number): number[] {
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  // log10 of 0, a negative, NaN or Infinity: no decades to count.
  if (!Number.isFinite(a) || !Number.isFinite(b) || !(b >= a)) return linearTicks(lo, hi, Math.min(target, 5));
  const want = Math.min(MAX_TICKS, Math.max(1, Math.floor(target) || 1));
  const inRange = (v: number): boolean => Number.isFinite(v) && v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
  const firstDecade = Math.ceil(a - 1e-9);
  const decadeCount = Math.floor(b + 1e-9) - firstDecade + 1; // at most ~633 for doubles
  if (decadeCount >= 3) {
    // Every `every`-th decade, on multiples of `every` as before: at most `want` + 1 of them.
    const every = Math.ceil(decadeCount / want);
    const start = Math.ceil(firstDecade / every) * every;
    const ticks: number[] = [];
    for (let i = 0; i <= MAX_TICKS && start + i * every <= firstDecade + decadeCount - 1; i++) {
      const v = cleanFloat(10 ** (start + i * every));
      if (v > 0 && Number.isFinite(v)) ticks.push(v);
    }
    return ticks.slice(0, MAX_TICKS);
  }
  // Fewer than three decades: b - a < 3, so these loops run at most 5 x 9 times.
  for (const mantissas of [[1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]]) {
    const ticks: number[] = [];
    for (let e = Math.floor(a) - 1; e <= Math.ceil(b); e++) {
      for (const m of mantissas) {
        const v = cleanFloat(m * 10 ** e);
        if (inRange(v)) ticks.push(v);
      }
    }
    if (ticks.length >= 3 && ticks.length <= Math.min(MAX_TICKS, want * 1.5)) return ticks;
    // Denser mantissas would only crowd more: two decades already frame the data.
    if (decadeCount === 2) return [firstDecade, firstDecade + 1].map((e) => cleanFloat(10 ** e));
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
