// Gzipped IDX files that inflate past what their header declares (gzip bombs) are
// rejected after inflating little more than the declared size.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { gunzipIdx } from '../../src/data/idx-gunzip.js';

function idxHeader(dims: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length);
  out.set([0, 0, 8, dims.length]);
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  return out;
}

function withPayload(dims: number[], payloadBytes: number): Uint8Array {
  const header = idxHeader(dims);
  const out = new Uint8Array(header.length + payloadBytes);
  out.set(header);
  return out;
}

describe('gunzipIdx', () => {
  it('inflates a well-formed file exactly', async () => {
    const raw = withPayload([3, 4, 5], 60).map((b, i) => (i >= 16 ? i & 0xff : b));
    expect(await gunzipIdx(gzipSync(raw), 'f.gz')).toEqual(raw);
  });

  it('stops a bomb: 1 image declared, 64 MB of zeros follow', async () => {
    const bomb = gzipSync(withPayload([1, 28, 28], 64 << 20));
    expect(bomb.length).toBeLessThan(200_000);
    const before = process.memoryUsage().arrayBuffers;
    const err = await gunzipIdx(bomb, 'bomb.gz').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as Error).message).toMatch(/^bomb\.gz: gzip data inflates to more than the 800 bytes its IDX header declares/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
  });

  it('rejects a header declaring more than the limit before inflating it', async () => {
    const err = await gunzipIdx(gzipSync(withPayload([60000, 28, 28], 1000)), 'big.gz', 1 << 20).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as Error).message).toBe('big.gz: IDX header declares 47040016 bytes, over the 1048576-byte limit');
  });

  it('leaves a stream shorter than its header to the parser', async () => {
    expect(await gunzipIdx(gzipSync(new Uint8Array([0, 0, 8, 255])), 'short.gz')).toEqual(new Uint8Array([0, 0, 8, 255]));
  });
});
