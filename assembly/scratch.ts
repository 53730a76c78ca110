// Scratch memory for packing and im2col, owned by JS: the host allocates SCRATCH_FLOATS
// floats from its heap and hands the offset to setScratch once per instance (each
// thread's instance gets its own region). Layout, in floats:
//   [TILE: 64][ZERO: 1024][PACK_A: 6*18*KC][PACK_B: KC*NC][COL: COL_FLOATS][PARTIAL: 65536]
// ZERO stays all zeros: direct convolutions point a padding tap's input there instead
// of branching in their inner loops. The convolutions that read a prepared copy of
// their input (conv-forward-implicit.ts, conv-input-grad-parity.ts,
// conv-filter-grad-implicit.ts, conv-onechannel-*.ts)
// use PACK_A / PACK_B for packed kernels or filter-gradient accumulators and divide COL
// (which only the im2col fallback otherwise uses) into
//   [DUMP: 6*8*128][TAB: 2048 x 32-bit][WORK: the rest]
// DUMP: accumulator rows that have no place in the output (a tile's rows past the end,
// a partial panel of channels); TAB: pointer and offset tables; WORK: zero-padded or
// stacked copies of a block of images, zero-filled copies of patch rows that cross the
// padding, per-pixel offset tables.

/**
 * Micro-kernel rows: 6x8 with fused multiply-add (12 accumulators + 2 B + 1 A = 15 of
 * V8's 15 usable vector registers), 5x8 with mul + add, which needs one more register
 * for the product (a 6x8 mul + add tile spills and runs at half speed).
 */
export const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 5;
export const NR = 8;
export const KC = 256;
export const MC: i32 = MR * 18;
export const NC = 1024;
export const COL_FLOATS = 262144;
export const TILE_FLOATS = 64;
export const ZERO_FLOATS = 1024;
export const PACK_A_FLOATS = 6 * 18 * KC;
/** A filter-gradient chunk's partial sum (conv.ts); larger kernels are summed in one pass. */
export const PARTIAL_FLOATS = 65536;
export const SCRATCH_FLOATS = TILE_FLOATS + ZERO_FLOATS + PACK_A_FLOATS + KC * NC + COL_FLOATS + PARTIAL_FLOATS;

export let tilePtr: usize = 0;
export let zeroPtr: usize = 0;
export let packAPtr: usize = 0;
export let packBPtr: usize = 0;
export let colPtr: usize = 0;
export let dumpPtr: usize = 0;
export let tabPtr: usize = 0;
export let workPtr: usize = 0;
export let partialPtr: usize = 0;

export const DUMP_FLOATS = 6 * 8 * 128;
export const TAB_ENTRIES = 2048;
export const WORK_FLOATS: i32 = COL_FLOATS - DUMP_FLOATS - TAB_ENTRIES;

/** Points this instance's scratch at `offset` (floats; 16-byte aligned). */
export function setScratch(offset: i32): void {
  tilePtr = <usize>offset << 2;
  zeroPtr = tilePtr + (<usize>TILE_FLOATS << 2);
  packAPtr = zeroPtr + (<usize>ZERO_FLOATS << 2);
  packBPtr = packAPtr + (<usize>PACK_A_FLOATS << 2);
  colPtr = packBPtr + (<usize>(KC * NC) << 2);
  dumpPtr = colPtr;
  tabPtr = dumpPtr + (<usize>DUMP_FLOATS << 2);
  workPtr = tabPtr + (<usize>TAB_ENTRIES << 2);
  partialPtr = colPtr + (<usize>COL_FLOATS << 2);
  memory.fill(zeroPtr, 0, <usize>ZERO_FLOATS << 2);
}

export function scratchFloats(): i32 {
  return SCRATCH_FLOATS;
}
