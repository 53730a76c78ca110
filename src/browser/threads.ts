// The `threads` option. Threads need SharedArrayBuffer, which browsers grant only to
// cross-origin isolated pages (COOP `same-origin` + COEP `require-corp`). Until the
// kernel thread pool runs in browsers, every model runs on one thread; asking for more
// where isolation is missing earns one console warning per realm, so a page loading
// several models is not flooded (the one piece of module state here, and only a flag).

import { ArgumentError } from '../errors.js';

let warned = false;

/** True where SharedArrayBuffer can be shared with workers. */
export function canShareMemory(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean };
  return typeof SharedArrayBuffer === 'function' && g.crossOriginIsolated === true;
}

/** The number of threads a model will run on for a requested count. */
export function resolveThreads(requested: number | undefined): number {
  const n = requested ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new ArgumentError(`threads: expected an integer from 1 to 256, found ${n}`);
  if (n === 1) return 1;
  if (canShareMemory()) return n;
  if (!warned) {
    warned = true;
    console.warn(
      `ae-wasm: ${n} threads were asked for, but this page is not cross-origin isolated (serve it with ` +
        '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp" to get SharedArrayBuffer); running on one thread',
    );
  }
  return 1;
}
