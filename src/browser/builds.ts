// Which kernels build a page runs, and where its bytes come from (DESIGN.md "Loading
// WASM"): chosen by WebAssembly.validate, never by user-agent sniffing. Tiny probe
// modules answer "SIMD?" and "relaxed SIMD?" before anything is downloaded, so a page
// fetches exactly one build; the chosen bytes are validated again before compiling.
// No DOM and no Node: runs on a page, in a Web Worker, and in Node's tests.

import { ArgumentError, UnsupportedError } from '../errors.js';
import { inlineBuilds } from './inline-builds.js';
import { fetchBytes } from '../io/source.js';

export const BASELINE_BUILD = 'kernels.wasm' as const;
export const RELAXED_BUILD = 'kernels-relaxed.wasm' as const;
export const THREADS_BUILD = 'kernels-threads.wasm' as const;
export const RELAXED_THREADS_BUILD = 'kernels-relaxed-threads.wasm' as const;
/** Every build file name the `wasm` option may map (the threaded ones are for the thread pool). */
export const BUILD_NAMES = ['kernels.wasm', 'kernels-relaxed.wasm', 'kernels-threads.wasm', 'kernels-relaxed-threads.wasm'] as const;
export type BuildName = (typeof BUILD_NAMES)[number];

export type WasmBytes = ArrayBuffer | Uint8Array;
/** One build: its URL or its bytes. */
export type BuildSource = string | URL | WasmBytes;

/**
 * Where the .wasm builds come from: a base URL (a directory holding them), a map from
 * build file name to URL or bytes, or 'inline' (the builds embedded in ae-wasm.inline.js).
 */
export type WasmOption = string | URL | Partial<Record<BuildName, BuildSource>>;

// () -> v128 { i8x16.popcnt(i8x16.splat(0)) }: valid only where fixed-width SIMD is.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
// () -> v128 { i8x16.relaxed_swizzle(splat(1), splat(2)) }: valid only where relaxed SIMD is.
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11,
]);

const SIMD_HELP = 'ae-wasm needs WebAssembly SIMD (Chrome/Edge 91+, Firefox 89+, Safari 16.4+, Node 16.4+)';

export interface ChosenBuild {
  name: BuildName;
  bytes: Uint8Array;
  /** Where the bytes came from, for messages. */
  where: string;
}

export interface ChooseOptions {
  wasm?: WasmOption | 'inline';
  deterministic?: boolean;
  /** Pick a threads build (shared memory) instead of a single-threaded one. */
  threaded?: boolean;
}

/** The fastest build this engine validates, from the given source (baseline only when deterministic). */
export async function chooseBuild(options: ChooseOptions): Promise<ChosenBuild> {
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(SIMD_PROBE)) {
    throw new UnsupportedError(`${SIMD_HELP}; this engine's WebAssembly.validate rejects a SIMD instruction`);
  }
  const source = resolveSource(options.wasm);
  const relaxed = !options.deterministic && WebAssembly.validate(RELAXED_PROBE);
  const [base, fast]: [BuildName, BuildName] = options.threaded ? [THREADS_BUILD, RELAXED_THREADS_BUILD] : [BASELINE_BUILD, RELAXED_BUILD];
  const order: BuildName[] = relaxed ? [fast, base] : [base];
  const offered = order.filter((name) => source.has(name));
  if (offered.length === 0) {
    throw new ArgumentError(`wasm: no source for ${base}${relaxed ? ` or ${fast}` : ''}; the map gives ${[...source.names()].join(', ') || 'nothing'}`);
  }
  for (const name of offered) {
    let bytes: Uint8Array;
    try {
      bytes = await source.bytes(name);
    } catch (err) {
      // The relaxed build only speeds things up: a missing copy falls back to the baseline.
      if (name !== base && offered.includes(base)) continue;
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

interface Source {
  has(name: BuildName): boolean;
  names(): Iterable<string>;
  bytes(name: BuildName): Promise<Uint8Array>;
  where(name: BuildName): string;
}

function resolveSource(wasm: ChooseOptions['wasm']): Source {
  if (wasm === 'inline') return inlineSource();
  if (wasm === undefined) return inlineBuilds() ? inlineSource() : baseUrlSource(new URL('./', import.meta.url));
  if (typeof wasm === 'string' || wasm instanceof URL) {
    const url = resolveUrl(wasm, 'wasm');
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    return baseUrlSource(url);
  }
  if (typeof wasm !== 'object' || wasm === null) throw new ArgumentError(`wasm: expected a base URL, a map of build names or "inline", found ${typeof wasm}`);
  for (const key of Object.keys(wasm)) {
    if (!(BUILD_NAMES as readonly string[]).includes(key)) throw new ArgumentError(`wasm: unknown build "${key}"; expected one of ${BUILD_NAMES.join(', ')}`);
  }
  const map = wasm as Partial<Record<BuildName, BuildSource>>;
  return {
    has: (name) => map[name] !== undefined,
    names: () => Object.keys(map),
    where: (name) => (isBytes(map[name]) ? `${name} (bytes)` : resolveUrl(map[name] as string | URL, `wasm["${name}"]`).href),
    bytes: async (name) => {
      const entry = map[name]!;
      if (entry instanceof Uint8Array) return entry;
      if (entry instanceof ArrayBuffer) return new Uint8Array(entry);
      return fetchBytes(resolveUrl(entry, `wasm["${name}"]`));
    },
  };
}

function inlineSource(): Source {
  const builds = inlineBuilds();
  if (!builds) {
    throw new ArgumentError('wasm: "inline" needs the bundle with embedded builds, ae-wasm.inline.js; this bundle loads .wasm files (pass their base URL or a map)');
  }
  return {
    has: (name) => builds[name] !== undefined,
    names: () => Object.keys(builds),
    where: (name) => `${name} (inline)`,
    bytes: async (name) => decodeBase64(builds[name]!),
  };
}

function baseUrlSource(base: URL): Source {
  return {
    has: () => true,
    names: () => BUILD_NAMES,
    where: (name) => new URL(name, base).href,
    bytes: (name) => fetchBytes(new URL(name, base)),
  };
}

function isBytes(v: unknown): v is WasmBytes {
  return v instanceof Uint8Array || v instanceof ArrayBuffer;
}

/** Relative URLs resolve against the page (or the worker's script), as fetch() would. */
export function resolveUrl(url: string | URL, what: string): URL {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  try {
    return new URL(url, base);
  } catch {
    throw new ArgumentError(`${what}: ${JSON.stringify(String(url))} is not a URL${base ? '' : ' (a relative URL needs a page or worker to resolve against)'}`);
  }
}

function decodeBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
