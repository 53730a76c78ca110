// The pool's share claims (src/kernels/threads/protocol.ts): thread t takes share t of a
// job first, then any share still open, in order; each share goes to exactly one thread;
// and a thread still working from an older job can never claim a share of a newer one.
import { describe, expect, it } from 'vitest';
import { claimShare, MAX_SHARES, nextShare, openShares } from '../../src/kernels/threads/protocol.js';

/** Every share `self` gets of job `gen`, in the order it gets them. */
function drain(claims: Int32Array, gen: number, parts: number, self: number): number[] {
  const got: number[] = [];
  for (let s = nextShare(claims, gen, parts, self, -1); s >= 0; s = nextShare(claims, gen, parts, self, s)) got.push(s);
  return got;
}

describe('share claims', () => {
  it('a thread takes its own share first, then the open ones in order', () => {
    const claims = new Int32Array(MAX_SHARES);
    openShares(claims, 7, 4);
    expect(drain(claims, 7, 4, 2)).toEqual([2, 0, 1, 3]);
    expect(drain(claims, 7, 4, 0)).toEqual([]);
  });

  it('threads that interleave get their own shares and split the rest, each share once', () => {
    const claims = new Int32Array(MAX_SHARES);
    openShares(claims, 3, 5);
    // Thread 1 and thread 0 alternate claims; thread 9 (past the shares) only steals.
    const cursors = new Map<number, number>([[1, -1], [0, -1], [9, -1]]);
    const got = new Map<number, number[]>([[1, []], [0, []], [9, []]]);
    for (let round = 0; round < 10; round++) {
      for (const t of [1, 0, 9]) {
        const last = cursors.get(t)!;
        if (last === -2) continue;
        const s = nextShare(claims, 3, 5, t, last);
        cursors.set(t, s < 0 ? -2 : s);
        if (s >= 0) got.get(t)!.push(s);
      }
    }
    expect(got.get(1)![0]).toBe(1);
    expect(got.get(0)![0]).toBe(0);
    const all = [...got.values()].flat().sort();
    expect(all).toEqual([0, 1, 2, 3, 4]);
  });

  it('a thread holding an older generation claims nothing of the newer job', () => {
    const claims = new Int32Array(MAX_SHARES);
    openShares(claims, 41, 2);
    expect(drain(claims, 41, 2, 0)).toEqual([0, 1]);
    openShares(claims, 42, 2);
    expect(claimShare(claims, 41, 0)).toBe(false);
    expect(drain(claims, 41, 2, 1)).toEqual([]);
    expect(drain(claims, 42, 2, 1)).toEqual([1, 0]);
  });

  it('generations wrap without a newer job ever looking open to an older tag', () => {
    const claims = new Int32Array(MAX_SHARES);
    const last = 2 ** 31 - 1; // GEN is an Int32 that keeps counting
    openShares(claims, last, 1);
    expect(claimShare(claims, last, 0)).toBe(true);
    openShares(claims, (last + 1) | 0, 1);
    expect(claimShare(claims, last, 0)).toBe(false);
    expect(claimShare(claims, (last + 1) | 0, 0)).toBe(true);
  });
});
