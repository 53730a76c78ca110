// Stored 8-bit samples -> the float32 values a model sees, through a table: how a
// streamed batch of uint8 data (a staging slot in the heap) becomes the graph's input.
// The table holds the normalisation's exact float32 results, so the conversion is the
// same float32 as normalising on the host, bit for bit, whatever the arithmetic.
// WebAssembly has no gather: four bytes are read as one u32 and looked up one by one.

/**
 * Overwrites dst[r, f] = table[f * stride + src[r, f]] for r < n, f < size, where src is
 * n * size bytes starting at element offset `src` (its byte address is src * 4) and
 * `stride` is 0 (one table of 256 values for every feature) or 256 (one per feature).
 */
export function lookupU8(src: i32, table: i32, stride: i32, dst: i32, n: i32, size: i32): void {
  const s = <usize>src << 2;
  const t = <usize>table << 2;
  const d = <usize>dst << 2;
  if (stride == 0) {
    lookupShared(s, t, d, <usize>n * <usize>size);
    return;
  }
  for (let r = 0; r < n; r++) {
    const row = <usize>r * <usize>size;
    lookupPerFeature(s + row, t, d + (row << 2), <usize>size);
  }
}

/** dst[k] = table[src[k]] for k < count. */
function lookupShared(s: usize, t: usize, d: usize, count: usize): void {
  const count4 = count & ~(<usize>3);
  for (let k: usize = 0; k < count4; k += 4) {
    const w = load<u32>(s + k);
    const o = d + (k << 2);
    store<f32>(o, load<f32>(t + ((w & 255) << 2)));
    store<f32>(o, load<f32>(t + (((w >> 8) & 255) << 2)), 4);
    store<f32>(o, load<f32>(t + (((w >> 16) & 255) << 2)), 8);
    store<f32>(o, load<f32>(t + ((w >> 24) << 2)), 12);
  }
  for (let k = count4; k < count; k++) store<f32>(d + (k << 2), load<f32>(t + (<usize>load<u8>(s + k) << 2)));
}

/** dst[f] = table[f * 256 + src[f]] for f < size (one sample). */
function lookupPerFeature(s: usize, t: usize, d: usize, size: usize): void {
  const size4 = size & ~(<usize>3);
  for (let f: usize = 0; f < size4; f += 4) {
    const w = load<u32>(s + f);
    const o = d + (f << 2);
    const tf = t + (f << 10);
    store<f32>(o, load<f32>(tf + ((w & 255) << 2)));
    store<f32>(o, load<f32>(tf + 1024 + (((w >> 8) & 255) << 2)), 4);
    store<f32>(o, load<f32>(tf + 2048 + (((w >> 16) & 255) << 2)), 8);
    store<f32>(o, load<f32>(tf + 3072 + ((w >> 24) << 2)), 12);
  }
  for (let f = size4; f < size; f++) store<f32>(d + (f << 2), load<f32>(t + (f << 10) + (<usize>load<u8>(s + f) << 2)));
}
