// The shared memory of the threads builds, with the limits the module imports it with
// (scripts/build-wasm.ts compiles the threads builds with these limits: 4 MiB .. 1 GiB).

export const THREADS_INITIAL_PAGES = 64;
export const THREADS_MAXIMUM_PAGES = 16384;

/** Whether this engine can share memory between threads at all. */
export function sharedMemorySupported(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  // Browsers expose SharedArrayBuffer only to cross-origin isolated pages.
  const g = globalThis as { crossOriginIsolated?: boolean };
  return g.crossOriginIsolated !== false;
}

export function createSharedMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: THREADS_INITIAL_PAGES, maximum: THREADS_MAXIMUM_PAGES, shared: true });
}
