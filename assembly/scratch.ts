// Scratch memory for packing and im2col, owned by JS: the host allocates SCRATCH_FLOATS
// floats from its heap and hands the offset to setScratch once per instance (each
// thread's instance gets its own region). Layout, in floats:
//   [TILE: 64][PACK_A: MC*KC][PACK_B: KC*NC][COL: COL_FLOATS]

export const MR = 6;
export const NR = 8;
export const KC = 256;
export const MC = 96;
export const NC = 1024;
export const COL_FLOATS = 262144;
export const TILE_FLOATS = 64;
export const SCRATCH_FLOATS = TILE_FLOATS + MC * KC + KC * NC + COL_FLOATS;

export let tilePtr: usize = 0;
export let packAPtr: usize = 0;
export let packBPtr: usize = 0;
export let colPtr: usize = 0;

/** Points this instance's scratch at `offset` (floats; 16-byte aligned). */
export function setScratch(offset: i32): void {
  tilePtr = <usize>offset << 2;
  packAPtr = tilePtr + (<usize>TILE_FLOATS << 2);
  packBPtr = packAPtr + (<usize>(MC * KC) << 2);
  colPtr = packBPtr + (<usize>(KC * NC) << 2);
}

export function scratchFloats(): i32 {
  return SCRATCH_FLOATS;
}
