// Heap: one linear memory of floats, addressed by element offsets, with a first-fit
// allocator whose bookkeeping lives in JS (never inside the memory itself). The WASM
// backend's storage is the module's WebAssembly.Memory; the JS baseline's is a plain
// ArrayBuffer, Float32 or Float64 (for gradient checks in double precision).
//
// Invariant: `data` is always a view over the current buffer. Growth detaches the old
// buffer, so callers re-read `heap.data` after any alloc and never keep a view across one.

import { ArgumentError, HeapError } from '../errors.js';

export type HeapArray = Float32Array | Float64Array;
export type HeapDtype = 'f32' | 'f64';

/**
 * Offsets are aligned to 16 elements (64 bytes for f32, a cache line): SIMD loads start
 * aligned, and two threads writing neighbouring column blocks of a tensor (the pool splits
 * on multiples of 16 columns) never write the same cache line.
 */
export const HEAP_ALIGN = 16;

/** Where a heap's bytes live and how they grow. */
export interface HeapStorage {
  readonly dtype: HeapDtype;
  /** The current buffer (a new object after each growth). */
  buffer(): ArrayBuffer | SharedArrayBuffer;
  /** Grows to hold at least `elements` elements; returns false when it cannot. */
  grow(elements: number): boolean;
  /** Largest number of elements this storage can ever hold. */
  readonly maxElements: number;
}

const WASM_PAGE = 65536;

/** A WebAssembly.Memory; elements below `base` belong to the module's static data. */
export class WasmMemoryStorage implements HeapStorage {
  readonly dtype = 'f32' as const;
  readonly maxElements: number;
  constructor(readonly memory: WebAssembly.Memory, maximumPages = 65536) {
    this.maxElements = (maximumPages * WASM_PAGE) / 4;
  }
  buffer(): ArrayBuffer | SharedArrayBuffer {
    return this.memory.buffer;
  }
  grow(elements: number): boolean {
    const have = this.memory.buffer.byteLength;
    const want = Math.ceil((elements * 4) / WASM_PAGE) * WASM_PAGE;
    if (want <= have) return true;
    if (want > this.maxElements * 4) return false;
    try {
      this.memory.grow((want - have) / WASM_PAGE);
      return true;
    } catch {
      return false;
    }
  }
}

/** A plain ArrayBuffer that grows by copying. */
export class ArrayStorage implements HeapStorage {
  readonly maxElements: number;
  private buf: ArrayBuffer;
  constructor(readonly dtype: HeapDtype, initialElements = 1 << 16, maxBytes = 2 ** 31) {
    this.buf = new ArrayBuffer(initialElements * bytesPer(dtype));
    this.maxElements = Math.floor(maxBytes / bytesPer(dtype));
  }
  buffer(): ArrayBuffer {
    return this.buf;
  }
  grow(elements: number): boolean {
    if (elements <= this.buf.byteLength / bytesPer(this.dtype)) return true;
    if (elements > this.maxElements) return false;
    let next: ArrayBuffer;
    try {
      next = new ArrayBuffer(elements * bytesPer(this.dtype));
    } catch {
      return false;
    }
    new Uint8Array(next).set(new Uint8Array(this.buf));
    this.buf = next;
    return true;
  }
}

function bytesPer(dtype: HeapDtype): number {
  return dtype === 'f32' ? 4 : 8;
}

interface FreeBlock {
  offset: number;
  size: number;
}

export class Heap {
  readonly dtype: HeapDtype;
  readonly bytesPerElement: number;
  /** First element offset the allocator may hand out. */
  readonly base: number;
  private cachedBuffer: ArrayBuffer | SharedArrayBuffer | null = null;
  private view: HeapArray = new Float32Array(0);
  /** Allocated blocks: offset -> size in elements (aligned). */
  private readonly blocks = new Map<number, number>();
  /** Free blocks, sorted by offset, never adjacent (coalesced). */
  private readonly freeList: FreeBlock[] = [];
  /** End of the region handed out so far; everything above it is free. */
  private top: number;
  private inUse = 0;
  private peakInUse = 0;

  constructor(
    private readonly storage: HeapStorage,
    baseElement = 0,
  ) {
    this.dtype = storage.dtype;
    this.bytesPerElement = bytesPer(storage.dtype);
    this.base = alignUp(baseElement);
    this.top = this.base;
  }

  /** The current view over the whole memory (re-made after growth). */
  get data(): HeapArray {
    const buf = this.storage.buffer();
    if (buf !== this.cachedBuffer) {
      this.cachedBuffer = buf;
      this.view = this.dtype === 'f32' ? new Float32Array(buf) : new Float64Array(buf);
    }
    return this.view;
  }

  /**
   * The most bytes this heap may grow to (its memory's whole size, static data included);
   * Infinity: the storage's own maximum. Set by a memory budget (train's maxMemory).
   */
  maxBytes = Infinity;

  /** Elements the underlying memory holds now. */
  get capacity(): number {
    return this.storage.buffer().byteLength / this.bytesPerElement;
  }

  /** Elements currently allocated (aligned sizes). */
  get used(): number {
    return this.inUse;
  }

  /** Largest `used` seen so far. */
  get peak(): number {
    return this.peakInUse;
  }

  /** Reserves `n` elements (contents unspecified) and returns their offset. */
  alloc(n: number): number {
    if (!Number.isInteger(n) || n < 0) throw new ArgumentError(`Heap.alloc: size must be a non-negative integer, got ${n}`);
    const size = Math.max(HEAP_ALIGN, alignUp(n));
    let offset = -1;
    for (let i = 0; i < this.freeList.length; i++) {
      const blk = this.freeList[i]!;
      if (blk.size >= size) {
        offset = blk.offset;
        if (blk.size === size) this.freeList.splice(i, 1);
        else {
          blk.offset += size;
          blk.size -= size;
        }
        break;
      }
    }
    if (offset < 0) {
      offset = this.top;
      const end = offset + size;
      if (end > this.capacity) this.growTo(end, n);
      this.top = end;
    }
    this.blocks.set(offset, size);
    this.inUse += size;
    if (this.inUse > this.peakInUse) this.peakInUse = this.inUse;
    return offset;
  }

  /** Reserves `n` elements set to zero. */
  allocZeroed(n: number): number {
    const off = this.alloc(n);
    this.data.fill(0, off, off + n);
    return off;
  }

  /** Returns a block to the allocator. Freeing an unknown offset is an error. */
  free(offset: number): void {
    const size = this.blocks.get(offset);
    if (size === undefined) throw new ArgumentError(`Heap.free: no block allocated at offset ${offset}`);
    this.blocks.delete(offset);
    this.inUse -= size;
    if (offset + size === this.top) {
      this.top = offset;
      // Absorb a free block that now touches the top.
      const last = this.freeList[this.freeList.length - 1];
      if (last && last.offset + last.size === this.top) {
        this.top = last.offset;
        this.freeList.pop();
      }
      return;
    }
    let i = 0;
    while (i < this.freeList.length && this.freeList[i]!.offset < offset) i++;
    const prev = this.freeList[i - 1];
    const next = this.freeList[i];
    if (prev && prev.offset + prev.size === offset) {
      prev.size += size;
      if (next && prev.offset + prev.size === next.offset) {
        prev.size += next.size;
        this.freeList.splice(i, 1);
      }
    } else if (next && offset + size === next.offset) {
      next.offset = offset;
      next.size += size;
    } else {
      this.freeList.splice(i, 0, { offset, size });
    }
  }

  /** Size in elements of the block at `offset` (aligned), or undefined. */
  sizeOf(offset: number): number | undefined {
    return this.blocks.get(offset);
  }

  /** Copies `src` into the heap at `offset`. */
  write(offset: number, src: ArrayLike<number>): void {
    this.data.set(src, offset);
  }

  /** A Float32Array copy of `n` elements at `offset` (safe to keep). */
  read(offset: number, n: number): Float32Array {
    const out = new Float32Array(n);
    const d = this.data;
    for (let i = 0; i < n; i++) out[i] = d[offset + i]!;
    return out;
  }

  private growTo(endElements: number, requested: number): void {
    // Grow geometrically so a sequence of allocations costs amortised O(1) copies.
    const max = Math.min(this.storage.maxElements, Math.floor(this.maxBytes / this.bytesPerElement));
    if (endElements <= max) {
      const want = Math.min(Math.max(endElements, Math.ceil(this.capacity * 1.5)), max);
      if (this.storage.grow(want)) return;
      if (want > endElements && this.storage.grow(endElements)) return;
    }
    const b = this.bytesPerElement;
    throw new HeapError(
      `cannot allocate ${requested} ${this.dtype} elements (${requested * b} bytes): ` +
        `${this.inUse * b} bytes in use of ${this.capacity * b}, ` +
        `growing to ${endElements * b} bytes failed (maximum ${max * b} bytes)`,
      requested * b,
      this.capacity * b,
      max * b,
    );
  }
}

function alignUp(n: number): number {
  return Math.ceil(n / HEAP_ALIGN) * HEAP_ALIGN;
}
