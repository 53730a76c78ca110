// Padded blocks for the one-channel kernels (conv-onechannel-*.ts): how many images a
// block of zero-padded copies in WORK holds, and the table of each output pixel's byte
// offset inside such a block (the pixel rows of a block are not evenly spaced, so the
// micro-kernels find pixels through it instead of by arithmetic).

import { WORK_FLOATS } from './scratch';
import { blockImages } from './conv-copy';

/** Bytes of padded images per block: they stay in cache while their pixels run. */
const BLOCK_BYTES = 64 * 1024;

/** Images per block at `perImage` floats of WORK each plus `extra` once; 0 if one does not fit. */
@inline export function blockOf(n: i32, perImage: i64, extra: i64): i32 {
  return blockImages(n, perImage, extra, WORK_FLOATS, BLOCK_BYTES);
}

/** offs[bl oh ow + oy ow + ox] = byte offset of output pixel (oy, ox) of image bl in a padded block. */
export function pixelOffsets(
  offs: usize, nb: i32, oh: i32, ow: i32, imageBytes: usize, rowBytes: usize, sh: i32, sw: i32, pixelBytes: usize,
): void {
  let o = offs;
  for (let bl = 0; bl < nb; bl++) {
    for (let oy = 0; oy < oh; oy++) {
      let v = <usize>bl * imageBytes + <usize>(oy * sh) * rowBytes;
      for (let ox = 0; ox < ow; ox++) {
        store<usize>(o, v);
        v += <usize>sw * pixelBytes;
        o += 4;
      }
    }
  }
}
