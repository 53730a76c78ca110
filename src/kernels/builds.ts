// The kernels' build files and the choice among them (DESIGN.md "Loading WASM"), once for
// Node (kernels/node.ts reads build/) and the browser (browser/builds.ts fetches or
// inlines): chosen by WebAssembly.validate, never by user-agent sniffing. Pure: no DOM,
// no `node:`; where the bytes come from is the caller's BuildBytes.

import { UnsupportedError } from '../errors.js';

/** Every build scripts/build-wasm.ts writes: relaxed SIMD or not, shared memory (threads) or not. */
export const BUILDS = [
  { name: 'kernels.wasm', relaxed: false, threads: false },
  { name: 'kernels-relaxed.wasm', relaxed: true, threads: false },
  { name: 'kernels-threads.wasm', relaxed: false, threads: true },
  { name: 'kernels-relaxed-threads.wasm', relaxed: true, threads: true },
] as const;
export type Build = (typeof BUILDS)[number];
export type BuildName = Build['name'];
export const BUILD_NAMES: readonly BuildName[] = BUILDS.map((b) => b.name);

/** The build with these features. */
export function buildNamed(relaxed: boolean, threads: boolean): BuildName {
  return BUILDS.find((b) => b.relaxed === relaxed && b.threads === threads)!.name;
}
/** A file name's build, or undefined for a name not in BUILDS. */
export function buildInfo(name: string): Build | undefined {
  return BUILDS.find((b) => b.name === name);
}

export const BASELINE_BUILD = buildNamed(false, false);
export const RELAXED_BUILD = buildNamed(true, false);
export const THREADS_BUILD = buildNamed(false, true);
export const RELAXED_THREADS_BUILD = buildNamed(true, true);

// () -> v128 { i8x16.popcnt(i8x16.splat(0)) }: valid only where fixed-width SIMD is.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
// () -> v128 { i8x16.relaxed_swizzle(splat(1), splat(2)) }: valid only where relaxed SIMD is.
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11,
]);

export const SIMD_HELP = 'ae-wasm needs WebAssembly SIMD (Chrome/Edge 91+, Firefox 89+, Safari 16.4+, Node 16.4+)';

/** Throws UnsupportedError unless the engine validates fixed-width SIMD (every build uses it). */
export function requireSimd(): void {
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(SIMD_PROBE)) {
    throw new UnsupportedError(`${SIMD_HELP}; this engine's WebAssembly.validate rejects a SIMD instruction`);
  }
}

/** Whether the engine validates relaxed SIMD: answered by a tiny probe, so nothing is fetched to find out. */
export function relaxedSimdValidates(): boolean {
  return WebAssembly.validate(RELAXED_PROBE);
}

/** The builds to try, fastest first; the baseline of the family (threads or not) is last. */
export function buildOrder(threaded: boolean, relaxed: boolean): BuildName[] {
  const base = buildNamed(false, threaded);
  return relaxed ? [buildNamed(true, threaded), base] : [base];
}

/** Whether `name` is the relaxed build of the family `order` (see buildOrder) offered. */
function isRelaxedChoice(name: BuildName, order: readonly BuildName[]): boolean {
  return order.length > 1 && name === order[0];
}

/**
 * Why chooseValidBuild's pick is the one to run, in one line (kernels.buildReason,
 * BrowserModel.info.buildReason, the CLI's first line). The rule: the relaxed build
 * wherever the engine validates it; paired runs found it never slower (bench/README.md
 * "Which build").
 */
export function buildRule(name: BuildName, order: readonly BuildName[], deterministic = false): string {
  if (deterministic) return 'deterministic: the baseline SIMD build, bit-identical on every machine';
  if (isRelaxedChoice(name, order)) return 'relaxed SIMD validates here: the fused multiply-add build, the fastest';
  if (order.length === 1) return 'this engine does not validate relaxed SIMD: the baseline SIMD build';
  return `${order[0]} could not be loaded: the baseline SIMD build`;
}

/** Where a build's bytes come from. */
export interface BuildBytes {
  has(name: BuildName): boolean;
  /** Rejects when the bytes cannot be had (missing file, HTTP error). */
  bytes(name: BuildName): Promise<Uint8Array>;
  /** The build's place (path, URL, "(inline)"), for messages. */
  where(name: BuildName): string;
}

export interface ChosenBuild {
  name: BuildName;
  bytes: Uint8Array;
  /** Where the bytes came from, for messages. */
  where: string;
}

/**
 * The first build of `order` (see buildOrder) whose bytes can be had and validate. A
 * faster build only speeds things up: a missing or rejected one falls back to the
 * baseline (the last of `order`), whose failure is the error.
 */
export async function chooseValidBuild(order: readonly BuildName[], source: BuildBytes): Promise<ChosenBuild> {
  const base = order[order.length - 1];
  const offered = order.filter((name) => source.has(name));
  for (const name of offered) {
    let bytes: Uint8Array;
    try {
      bytes = await source.bytes(name);
    } catch (err) {
      if (name !== base && offered.includes(base!)) continue;
      throw err;
    }
    if (WebAssembly.validate(bytes as BufferSource)) return { name, bytes, where: source.where(name) };
    if (name === base) {
      throw new UnsupportedError(
        `${SIMD_HELP}; WebAssembly.validate rejects ${source.where(name)} (${bytes.byteLength} bytes): ` +
          'this engine lacks a feature the baseline SIMD build uses, or the file is not an ae-wasm kernels build',
      );
    }
  }
  throw new UnsupportedError(`${SIMD_HELP}; no build validated (${offered.map((n) => source.where(n)).join(', ')})`);
}

// ---- calibration: the faster of a relaxed build and its baseline, measured ----------------

/** Paired rounds a calibration takes; each times both builds once (ABBA order). */
export const CALIBRATION_ROUNDS = 9;
/** The relaxed build keeps its place unless the baseline is faster by more than this fraction. */
export const CALIBRATION_MARGIN = 0.05;

export interface Calibration {
  build: BuildName;
  /** Median over rounds of (relaxed build's time / baseline's time) in that round. */
  ratio: number;
  rounds: number;
  /** One line for kernels.buildReason and the CLI. */
  reason: string;
}

/**
 * Picks the faster of `relaxed` and `base` from paired timings. `time(name)` times one
 * call of the same small workload on that build (ms); rounds alternate which goes first
 * (ABBA), and the median of the per-round ratios decides, so a burst of load from other
 * processes costs a round, not the choice. The relaxed build wins ties and anything within
 * `margin`: its fused multiply-add does half the arithmetic, so on a quiet machine it is
 * never slower, and only a clear, repeated loss switches to the baseline.
 */
export function calibrate(relaxed: BuildName, base: BuildName, time: (name: BuildName) => number, rounds = CALIBRATION_ROUNDS, margin = CALIBRATION_MARGIN): Calibration {
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let tr: number;
    let tb: number;
    if (r % 2 === 0) {
      tr = time(relaxed);
      tb = time(base);
    } else {
      tb = time(base);
      tr = time(relaxed);
    }
    ratios.push(tb > 0 ? tr / tb : 1);
  }
  ratios.sort((a, b) => a - b);
  const ratio = ratios[(rounds - 1) >> 1]!;
  const baseWins = ratio > 1 + margin;
  const build = baseWins ? base : relaxed;
  const speedup = baseWins ? ratio : 1 / ratio;
  const [winner, loser] = baseWins ? [base, relaxed] : [relaxed, base];
  const reason =
    `calibrated: ${winner} ran ${speedup.toFixed(2)}x the speed of ${loser} ` +
    `(median of ${rounds} paired rounds${baseWins ? '' : `; the relaxed build stays unless ${Math.round(margin * 100)}% slower`})`;
  return { build, ratio, rounds, reason };
}
