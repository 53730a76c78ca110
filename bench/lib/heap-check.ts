// Allocation check for a loop of training steps: our runtime plans all memory at
// compile time, so over a loop of steps the WASM heap must not change and the JS heap
// should not grow (no per-step garbage).
//
// Two measurements, each over n steps after a forced GC (node --expose-gc):
// - the growth of `v8.getHeapStatistics().used_heap_size` over the loop, per step, with
//   the number of GCs during the loop (none: nothing was collected in between). This
//   figure is coarse: right after a GC the first allocations (allocation buffers,
//   background compilation) move it by 0.1-0.3 MB whatever the loop does, so it
//   resolves about 300 KB / n per step;
// - V8's sampling heap profiler over a second loop of n steps (via node:inspector, one
//   sample per 32 bytes on average, collected objects included): the bytes the steps
//   allocated on the JS heap, garbage included, and the functions that allocated them.

import { Session } from 'node:inspector/promises';
import { relative } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { now } from './timing.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface HeapCheck {
  /** Steps of each of the two loops. */
  steps: number;
  /** Wall milliseconds per step over the first loop (a cross-check of the timed median). */
  ms_per_step: number;
  /** Bytes allocated in, and the size of, the kernels' heap before and after both loops. */
  wasm_used_before: number;
  wasm_used_after: number;
  wasm_capacity_before: number;
  wasm_capacity_after: number;
  /** used_heap_size after the first loop minus before, per step (coarse; see above). */
  js_heap_growth_per_step: number;
  /** used_heap_size after the first loop and a full GC minus before, per step. */
  js_heap_retained_per_step: number;
  /** Collections V8 ran during the first loop. */
  gcs_during_loop: number;
  /** Sampling profiler: JS heap bytes allocated per step (garbage included). */
  js_allocated_per_step: number;
  /** The functions that allocated them: "function (file)" and bytes per step, largest first. */
  js_allocation_sites: { site: string; bytes_per_step: number }[];
  /** Whether global.gc was available (node --expose-gc). */
  gc_exposed: boolean;
}

/** Two full collections: the second frees what the first only finalised. No-op without --expose-gc. */
export function collectGarbage(): void {
  const f = (globalThis as { gc?: () => void }).gc;
  f?.();
  f?.();
}

const used = (): number => getHeapStatistics().used_heap_size;

/** The loop whose allocations the profiler attributes (found in the profile by this name). */
function sampledLoop(step: () => void, n: number): void {
  for (let i = 0; i < n; i++) step();
}

interface ProfileNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: ProfileNode[];
}

async function sampleAllocations(step: () => void, n: number): Promise<{ total: number; sites: Map<string, number> }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.enable');
    // The include* flags count objects already collected when sampling stops (garbage).
    const params = { samplingInterval: 32, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true };
    await session.post('HeapProfiler.startSampling', params);
    sampledLoop(step, n);
    const { profile } = await session.post('HeapProfiler.stopSampling');
    await session.post('HeapProfiler.disable');
    const sites = new Map<string, number>();
    let total = 0;
    // A site is the allocating function; a native one (an iterator's `next`, say) is
    // named with the script function that called it.
    const walk = (node: ProfileNode, inside: boolean, caller: string): void => {
      const here = inside || node.callFrame.functionName === 'sampledLoop';
      const url = node.callFrame.url;
      const name = node.callFrame.functionName || '(anonymous)';
      const site = url.startsWith('file://') ? `${name} (${relative(REPO, fileURLToPath(url))})` : `${name} (native) in ${caller}`;
      if (here && node.selfSize > 0) {
        sites.set(site, (sites.get(site) ?? 0) + node.selfSize);
        total += node.selfSize;
      }
      for (const c of node.children) walk(c, here, url.startsWith('file://') ? site : caller);
    };
    walk(profile.head as ProfileNode, false, '?');
    return { total, sites };
  } finally {
    session.disconnect();
  }
}

/**
 * Runs two loops of n calls of `step` and reports heap figures; `heap` returns the
 * kernels' heap (elements) and `bytesPerElement` converts it to bytes.
 */
export async function heapCheck(
  step: () => void,
  n: number,
  heap: () => { used: number; capacity: number },
  bytesPerElement: number,
): Promise<HeapCheck> {
  const gcTimes: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcTimes.push(e.startTime);
  });
  observer.observe({ entryTypes: ['gc'] });
  collectGarbage();
  const w0 = heap();
  const before = used();
  const t0 = now();
  for (let i = 0; i < n; i++) step();
  const t1 = now();
  const growth = used() - before;
  collectGarbage();
  const retained = used() - before;
  // GC entries are delivered asynchronously.
  await new Promise((r) => setTimeout(r, 30));
  observer.disconnect();

  collectGarbage();
  const sampled = await sampleAllocations(step, n);
  const w1 = heap();
  const sites = [...sampled.sites]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([site, bytes]) => ({ site, bytes_per_step: Math.round(bytes / n) }));
  return {
    steps: n,
    ms_per_step: (t1 - t0) / n,
    wasm_used_before: w0.used * bytesPerElement,
    wasm_used_after: w1.used * bytesPerElement,
    wasm_capacity_before: w0.capacity * bytesPerElement,
    wasm_capacity_after: w1.capacity * bytesPerElement,
    js_heap_growth_per_step: Math.round(growth / n),
    js_heap_retained_per_step: Math.round(retained / n),
    gcs_during_loop: gcTimes.filter((t) => t >= t0 && t < t1).length,
    js_allocated_per_step: Math.round(sampled.total / n),
    js_allocation_sites: sites,
    gc_exposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
  };
}
