// Stored 8-bit samples -> the float32 values a model sees, through a table: how a
// streamed batch of uint8 data (a staging slot in the heap) becomes the graph's input.
// The table holds the normalisation's exact float32 results, so the conversion is the
// same float32 as normalising on the host, bit for bit, whatever the arithmetic.

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

// Eight bytes are read as one u64 (a fifth faster than four as a u32, measured at batch
// 256 x 784); the lookups themselves are scalar loads, as WebAssembly has no gather.

/** The table entry of byte `b` of word `w` (0 = lowest) in the 256 floats at `t`. */
@inline function entry(t: usize, w: u64, b: u32): f32 {
  return load<f32>(t + (<usize>((w >> (<u64>b << 3)) & 255) << 2));
}

/** dst[k] = table[src[k]] for k < count. */
function lookupShared(s: usize, t: usize, d: usize, count: usize): void {
  const count8 = count & ~(<usize>7);
  for (let k: usize = 0; k < count8; k += 8) {
    const w = load<u64>(s + k);
    const o = d + (k << 2);
    store<f32>(o, entry(t, w, 0));
    store<f32>(o, entry(t, w, 1), 4);
    store<f32>(o, entry(t, w, 2), 8);
    store<f32>(o, entry(t, w, 3), 12);
    store<f32>(o, entry(t, w, 4), 16);
    store<f32>(o, entry(t, w, 5), 20);
    store<f32>(o, entry(t, w, 6), 24);
    store<f32>(o, entry(t, w, 7), 28);
  }
  for (let k = count8; k < count; k++) store<f32>(d + (k << 2), load<f32>(t + (<usize>load<u8>(s + k) << 2)));
}

/** dst[f] = table[f * 256 + src[f]] for f < size (one sample). */
function lookupPerFeature(s: usize, t: usize, d: usize, size: usize): void {
  const size8 = size & ~(<usize>7);
  for (let f: usize = 0; f < size8; f += 8) {
    const w = load<u64>(s + f);
    const o = d + (f << 2);
    const tf = t + (f << 10);
    store<f32>(o, entry(tf, w, 0));
    store<f32>(o, entry(tf + 1024, w, 1), 4);
    store<f32>(o, entry(tf + 2048, w, 2), 8);
    store<f32>(o, entry(tf + 3072, w, 3), 12);
    store<f32>(o, entry(tf + 4096, w, 4), 16);
    store<f32>(o, entry(tf + 5120, w, 5), 20);
    store<f32>(o, entry(tf + 6144, w, 6), 24);
    store<f32>(o, entry(tf + 7168, w, 7), 28);
  }
  for (let f = size8; f < size; f++) store<f32>(d + (f << 2), load<f32>(t + (f << 10) + (<usize>load<u8>(s + f) << 2)));
}
