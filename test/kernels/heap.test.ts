// Heap (src/kernels/heap.ts): 16-element (cache-line) alignment, first-fit reuse with coalescing,
// growth that keeps contents and re-makes `data` (the old view of a WebAssembly.Memory is
// detached), used / peak accounting, and errors: freeing an unknown offset, and HeapError
// naming the requested and maximum sizes when the storage cannot grow.
import { describe, expect, it } from 'vitest';
import { ArgumentError, HeapError } from '../../src/errors.js';
import { ArrayStorage, Heap, HEAP_ALIGN as A, WasmMemoryStorage, type HeapDtype } from '../../src/kernels/heap.js';
import { wasmKernels } from '../helpers.js';

const PAGE = 65536;

function arrayHeap(dtype: HeapDtype = 'f32', initialElements = 1024, maxBytes?: number, base = 0): Heap {
  return new Heap(new ArrayStorage(dtype, initialElements, maxBytes), base);
}

function wasmHeap(initialPages = 1, maximumPages = 16): Heap {
  const memory = new WebAssembly.Memory({ initial: initialPages, maximum: maximumPages });
  return new Heap(new WasmMemoryStorage(memory, maximumPages));
}

const HEAPS: [string, () => Heap][] = [
  ['ArrayStorage f32', () => arrayHeap('f32')],
  ['ArrayStorage f64', () => arrayHeap('f64')],
  ['WasmMemoryStorage', () => wasmHeap()],
];

describe('Heap allocation', () => {
  it('aligns to 16 elements: 64 bytes of float32, one cache line', () => {
    expect(A).toBe(16);
  });

  it.each(HEAPS)('%s: offsets are 16-aligned and sizes round up to 16 (minimum 16)', (_, make) => {
    const heap = make();
    for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 15, 16, 17, 33, 100, 1]) {
      const off = heap.alloc(n);
      expect(off % A, `alloc(${n}) at ${off}`).toBe(0);
      expect(heap.sizeOf(off)).toBe(Math.max(A, Math.ceil(n / A) * A));
    }
  });

  it('an unaligned base is rounded up to 16', () => {
    const heap = arrayHeap('f32', 256, undefined, 5);
    expect(heap.base).toBe(A);
    expect(heap.alloc(3)).toBe(A);
    expect(heap.alloc(1)).toBe(2 * A);
  });

  it('the WASM backend lays its heap above the static data, aligned', async () => {
    const kernels = await wasmKernels();
    const off = kernels.heap.alloc(5);
    expect(off % A).toBe(0);
    expect(off).toBeGreaterThanOrEqual(kernels.heap.base);
    kernels.heap.free(off);
  });

  it('rejects negative and non-integer sizes', () => {
    const heap = arrayHeap();
    expect(() => heap.alloc(-1)).toThrow(ArgumentError);
    expect(() => heap.alloc(2.5)).toThrow(ArgumentError);
    expect(() => heap.alloc(NaN)).toThrow(ArgumentError);
  });

  it('allocZeroed zeroes a reused block', () => {
    const heap = arrayHeap();
    const a = heap.alloc(8);
    heap.write(a, [1, 2, 3, 4, 5, 6, 7, 8]);
    heap.alloc(1); // keeps a from being absorbed into the top
    heap.free(a);
    const b = heap.allocZeroed(7);
    expect(b).toBe(a);
    expect(Array.from(heap.read(b, 7))).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('Heap free, coalescing and reuse', () => {
  /** Four blocks of 2 A elements, then a fence of A so frees never touch the top. */
  function blocks(heap: Heap): [number, number, number, number] {
    const r = [heap.alloc(2 * A), heap.alloc(2 * A), heap.alloc(2 * A), heap.alloc(2 * A)] as const;
    heap.alloc(A);
    return [...r];
  }

  it('adjacent free blocks merge, in either order, and the merged block is reused', () => {
    for (const order of [[0, 1], [1, 0]]) {
      const heap = arrayHeap();
      const b = blocks(heap);
      for (const i of order) heap.free(b[i]!);
      expect(heap.alloc(4 * A), `order ${order}`).toBe(b[0]);
    }
  });

  it('freeing the block between two free blocks merges all three', () => {
    const heap = arrayHeap();
    const [a, b, c] = blocks(heap);
    heap.free(a);
    heap.free(c);
    heap.free(b);
    expect(heap.alloc(6 * A)).toBe(a);
  });

  it('first fit splits a larger free block and skips one too small', () => {
    const heap = arrayHeap();
    const [a, , c] = blocks(heap);
    heap.free(a);
    heap.free(c);
    const big = heap.alloc(3 * A); // neither 2A-block fits
    expect(big).not.toBe(a);
    expect(big).not.toBe(c);
    expect(heap.alloc(A)).toBe(a);
    expect(heap.alloc(1)).toBe(a + A);
    expect(heap.alloc(2 * A)).toBe(c);
  });

  it('freeing the top block lowers the top and absorbs a free block below it', () => {
    const heap = arrayHeap();
    const a = heap.alloc(8);
    const b = heap.alloc(8);
    const c = heap.alloc(8);
    heap.free(b);
    heap.free(c); // c was the top: the top drops to c, then absorbs b
    expect(heap.alloc(5 * A)).toBe(b);
    heap.free(a);
    expect(heap.sizeOf(a)).toBeUndefined();
  });

  it('freeing an unknown, interior or already freed offset throws', () => {
    const heap = arrayHeap();
    const a = heap.alloc(2 * A);
    heap.alloc(1);
    expect(() => heap.free(a + A)).toThrow(ArgumentError);
    expect(() => heap.free(12345)).toThrow(/no block allocated at offset 12345/);
    heap.free(a);
    expect(() => heap.free(a)).toThrow(ArgumentError);
  });

  it('used and peak count aligned sizes; peak keeps the maximum', () => {
    const heap = arrayHeap();
    expect([heap.used, heap.peak]).toEqual([0, 0]);
    const a = heap.alloc(A + 5); // 2 A
    const b = heap.alloc(1); // A
    expect([heap.used, heap.peak]).toEqual([3 * A, 3 * A]);
    heap.free(a);
    expect([heap.used, heap.peak]).toEqual([A, 3 * A]);
    const c = heap.alloc(4 * A);
    expect([heap.used, heap.peak]).toEqual([5 * A, 5 * A]);
    heap.free(b);
    heap.free(c);
    expect([heap.used, heap.peak]).toEqual([0, 5 * A]);
  });
});

describe('Heap growth', () => {
  it.each(['f32', 'f64'] as const)('ArrayStorage %s: contents survive and data is a new view', (dtype) => {
    const heap = arrayHeap(dtype, 16);
    const a = heap.alloc(10);
    heap.write(a, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10.5]);
    const before = heap.data;
    const cap = heap.capacity;
    const b = heap.alloc(1000);
    expect(heap.capacity).toBeGreaterThan(cap);
    expect(heap.capacity).toBeGreaterThanOrEqual(b + 1000);
    expect(heap.data).not.toBe(before);
    expect(heap.data.length).toBe(heap.capacity);
    expect(Array.from(heap.read(a, 10))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10.5]);
    heap.data.fill(7, b, b + 1000);
    expect(heap.read(b + 999, 1)[0]).toBe(7);
  });

  it('WasmMemoryStorage: memory grows, the old view is detached, contents survive', () => {
    const heap = wasmHeap(1, 16);
    const a = heap.alloc(100);
    heap.write(a, Array.from({ length: 100 }, (_, i) => i * 0.5));
    const before = heap.data;
    const capacity = heap.capacity;
    expect(capacity).toBe(PAGE / 4);
    const b = heap.alloc(PAGE / 2); // 2 more pages' worth of floats
    expect(heap.capacity).toBeGreaterThanOrEqual(b + PAGE / 2);
    expect(before.length).toBe(0); // detached by memory.grow
    expect(before.buffer.byteLength).toBe(0);
    expect(heap.data === before).toBe(false); // (toBe would walk the detached view)
    expect(heap.read(a, 100)).toEqual(Float32Array.from({ length: 100 }, (_, i) => i * 0.5));
  });

  it('the WASM backend keeps computing after its memory grows', async () => {
    const kernels = await wasmKernels();
    const a = kernels.heap.alloc(8);
    kernels.heap.write(a, [1, 2, 3, 4, 5, 6, 7, 8]);
    const before = kernels.heap.data;
    const big = kernels.heap.alloc(kernels.heap.capacity); // forces growth
    expect(before.length).toBe(0);
    kernels.fill(big + kernels.heap.capacity / 4, 5, 2.5);
    kernels.axpy(2, a, a, 8); // a += 2 a
    expect(Array.from(kernels.heap.read(a, 8))).toEqual([3, 6, 9, 12, 15, 18, 21, 24]);
    expect(Array.from(kernels.heap.read(big + kernels.heap.capacity / 4, 5))).toEqual([2.5, 2.5, 2.5, 2.5, 2.5]);
    kernels.heap.free(big);
    kernels.heap.free(a);
  });
});

// A request ending above storage.maxElements must throw, not grow to the maximum and
// hand out a block past the end of memory (a bug these tests caught).
describe('HeapError when the storage cannot grow', () => {
  /** Expects alloc(n) to throw a HeapError naming the request and the maximum, in bytes. */
  function expectHeapError(heap: Heap, n: number, maxBytes: number): void {
    let error: unknown;
    try {
      heap.alloc(n);
    } catch (e) {
      error = e;
    }
    expect(error, `alloc(${n}) with a maximum of ${maxBytes} bytes`).toBeInstanceOf(HeapError);
    const he = error as HeapError;
    const requested = n * heap.bytesPerElement;
    expect(he.requestedBytes).toBe(requested);
    expect(he.maximumBytes).toBe(maxBytes);
    expect(he.message).toContain(`${requested} bytes`);
    expect(he.message).toContain(`maximum ${maxBytes} bytes`);
  }

  it('ArrayStorage: a request above maxBytes', () => {
    const heap = arrayHeap('f32', 16, 1024); // at most 256 floats
    heap.alloc(8);
    expectHeapError(heap, 1000, 1024);
    // The failed request changed nothing: the heap still serves what fits.
    expect(heap.used).toBe(A);
    expect(heap.alloc(200) % A).toBe(0);
  });

  it('ArrayStorage f64: a request above maxBytes', () => {
    expectHeapError(arrayHeap('f64', 16, 4096), 600, 4096);
  });

  it('WasmMemoryStorage: a request above the memory maximum', () => {
    const heap = wasmHeap(1, 2); // at most 2 pages = 32768 floats
    heap.alloc(100);
    expectHeapError(heap, 40_000, 2 * PAGE);
  });

  it('a request that fits exactly at the maximum succeeds', () => {
    const heap = arrayHeap('f32', 16, 1024);
    expect(heap.alloc(256)).toBe(0);
    expect(heap.capacity).toBe(256);
  });
});
