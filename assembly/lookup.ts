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
  const step = <usize>stride << 2;
  for (let r = 0; r < n; r++) {
    const row = <usize>r * <usize>size;
    let tf = t;
    for (let f = 0; f < size; f++) {
      const v = <usize>load<u8>(s + row + <usize>f);
      store<f32>(d + ((row + <usize>f) << 2), load<f32>(tf + (v << 2)));
      tf += step;
    }
  }
}
