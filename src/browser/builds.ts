// Where a page's kernels builds come from (a base URL, a map of URLs or bytes, or the
// inlined copies) and which one it runs: kernels/builds.ts's validate-based choice, with
// probes answering "SIMD?" and "relaxed SIMD?" before anything is downloaded, so a page
// fetches exactly one build. No DOM and no Node: runs on a page, in a Web Worker, and in
// Node's tests.

import { ArgumentError } from '../errors.js';
import { BUILD_NAMES, buildInfo, buildNamed, buildOrder, buildRule, chooseValidBuild, relaxedSimdValidates, requireSimd, type BuildBytes, type BuildName, type ChosenBuild } from '../kernels/builds.js';
import { inlineBuilds } from './inline-builds.js';
import { fetchBytes } from '../io/source.js';

export type WasmBytes = ArrayBuffer | Uint8Array;
/** One build: its URL or its bytes. */
export type BuildSource = string | URL | WasmBytes;

/**
 * Where the .wasm builds come from: a base URL (a directory holding them), a map from
 * build file name to URL or bytes, or 'inline' (the builds embedded in ae-wasm.inline.js).
 */
export type WasmOption = string | URL | Partial<Record<BuildName, BuildSource>>;

export interface ChooseOptions {
  wasm?: WasmOption | 'inline';
  deterministic?: boolean;
  /** Pick a threads build (shared memory) instead of a single-threaded one. */
  threaded?: boolean;
  /** This build and no other (it must validate): wins over the rule. */
  build?: BuildName;
}

/** The chosen build and why (BrowserModel.info.buildReason). */
export type ReasonedBuild = ChosenBuild & { reason: string };

/**
 * The build named by `build`, else the fastest this engine validates from the given source
 * (baseline only when deterministic), with the reason for the choice.
 */
export async function chooseBrowserBuild(options: ChooseOptions): Promise<ReasonedBuild> {
  requireSimd();
  const threaded = options.threaded ?? false;
  const order = options.build ? [checkNamedBuild(options.build, threaded, options.deterministic)] : buildOrder(threaded, !options.deterministic && relaxedSimdValidates());
  const source = resolveSource(options.wasm);
  if (!order.some((name) => source.has(name))) {
    throw new ArgumentError(`wasm: no source for ${[...order].reverse().join(' or ')}; the map gives ${[...source.names()].join(', ') || 'nothing'}`);
  }
  const chosen = await chooseValidBuild(order, source);
  return { ...chosen, reason: options.build ? `asked for (build: ${options.build})` : buildRule(chosen.name, order, options.deterministic) };
}

/** A build named by the caller, refused when it does not fit the thread count or deterministic mode. */
function checkNamedBuild(name: string, threaded: boolean, deterministic = false): BuildName {
  const info = buildInfo(name);
  if (!info) throw new ArgumentError(`build: unknown build "${name}"; expected one of ${BUILD_NAMES.join(', ')}`);
  if (info.threads !== threaded) {
    throw new ArgumentError(`build: ${name} is ${info.threads ? 'a threads build (shared memory)' : 'single-threaded'}, but ${threaded ? 'more than one thread' : 'one thread'} was asked for: name ${buildNamed(info.relaxed, threaded)}`);
  }
  if (deterministic && info.relaxed) throw new ArgumentError(`build: deterministic mode needs ${buildNamed(false, threaded)}, not ${name}`);
  return info.name;
}

interface Source extends BuildBytes {
  names(): Iterable<string>;
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
