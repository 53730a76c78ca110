// parseNpy reads a Node Buffer (as fs.readFileSync returns, often a view into a shared
// pool) exactly as a plain Uint8Array: its float data must not be read from the pool.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { encodeNpy, parseNpy } from '../../src/data/sources/npy.js';

it('parses a pooled Buffer and a Buffer at an offset like a Uint8Array', () => {
  const values = Float32Array.from({ length: 12 }, (_, i) => i * 1.25 - 3);
  const bytes = encodeNpy(values, [3, 4]);
  // A small Buffer.from(...) lives in Node's shared pool at a non-zero offset.
  const pooled = Buffer.from(bytes);
  const offset = Buffer.concat([Buffer.alloc(7, 0xee), Buffer.from(bytes)]).subarray(7);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ae-wasm-npy-'));
  try {
    writeFileSync(path.join(dir, 'a.npy'), bytes);
    for (const input of [pooled, offset, readFileSync(path.join(dir, 'a.npy'))]) {
      const a = parseNpy(input, 'a.npy', 1 << 20);
      expect(a.shape).toEqual([3, 4]);
      expect(Array.from(a.data)).toEqual(Array.from(values));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
