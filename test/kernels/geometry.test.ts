// Keras geometry (src/kernels/geometry.ts), property-based with fast-check: output sizes
// and padding splits of Conv2D, Conv2DTranspose and MaxPooling2D for 'same' and 'valid',
// that every output window touches a real input cell, that a transposed conv is the input
// gradient of the conv from its output back to its input, and that bad arguments throw
// ShapeError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/errors.js';
import {
  conv2dGeometry, conv2dTransposeGeometry, convAxis, convTransposeAxis, pool2dGeometry, type Padding,
} from '../../src/kernels/geometry.js';

const size = fc.integer({ min: 1, max: 64 });
const kernel = fc.integer({ min: 1, max: 9 });
const stride = fc.integer({ min: 1, max: 5 });
const channels = fc.integer({ min: 1, max: 16 });
const batch = fc.integer({ min: 1, max: 4 });
const padding = fc.constantFrom<Padding>('same', 'valid');

/** One axis (in, k, s) with k <= in, so 'valid' fits too. */
const axis = fc.tuple(size, kernel, stride).map(([inSize, k, s]) => ({ inSize: Math.max(inSize, k), k, s }));

/** The window of output o along an axis: input cells [start, start + k). */
function windowTouchesInput(o: number, s: number, k: number, padBefore: number, inSize: number): boolean {
  const start = o * s - padBefore;
  return start < inSize && start + k > 0;
}

describe('conv / pool axis: Keras output sizes and padding', () => {
  it("'same': out = ceil(in / s), padBefore = floor(total / 2) <= padAfter <= padBefore + 1", () => {
    fc.assert(
      fc.property(size, kernel, stride, (inSize, k, s) => {
        const { out, padBefore } = convAxis(inSize, k, s, 'same');
        expect(out).toBe(Math.ceil(inSize / s));
        const total = Math.max((out - 1) * s + k - inSize, 0);
        expect(padBefore).toBe(Math.floor(total / 2));
        const padAfter = total - padBefore;
        expect(padBefore).toBeLessThanOrEqual(padAfter);
        expect(padAfter).toBeLessThanOrEqual(padBefore + 1);
        // The padded input holds every window exactly: the last one ends inside it.
        expect((out - 1) * s + k).toBeLessThanOrEqual(padBefore + inSize + padAfter);
      }),
    );
  });

  it("'valid': out = floor((in - k) / s) + 1, no padding, windows inside the input", () => {
    fc.assert(
      fc.property(axis, ({ inSize, k, s }) => {
        const { out, padBefore } = convAxis(inSize, k, s, 'valid');
        expect(out).toBe(Math.floor((inSize - k) / s) + 1);
        expect(padBefore).toBe(0);
        expect((out - 1) * s + k).toBeLessThanOrEqual(inSize);
        // One more window would not fit.
        expect(out * s + k).toBeGreaterThan(inSize);
      }),
    );
  });

  it('every output window touches at least one real input cell', () => {
    fc.assert(
      fc.property(axis, padding, ({ inSize, k, s }, pad) => {
        const { out, padBefore } = convAxis(inSize, k, s, pad);
        for (let o = 0; o < out; o++) expect(windowTouchesInput(o, s, k, padBefore, inSize), `window ${o}`).toBe(true);
      }),
    );
  });

  it("transposed: 'same' out = in s, 'valid' out = in s + max(k - s, 0)", () => {
    fc.assert(
      fc.property(size, kernel, stride, (inSize, k, s) => {
        expect(convTransposeAxis(inSize, k, s, 'same').out).toBe(inSize * s);
        expect(convTransposeAxis(inSize, k, s, 'valid')).toEqual({ out: inSize * s + Math.max(k - s, 0), padBefore: 0 });
      }),
    );
  });
});

describe('conv2dGeometry / pool2dGeometry', () => {
  it('matches the axis rules on both axes and keeps n and the channels', () => {
    fc.assert(
      fc.property(batch, axis, axis, channels, channels, padding, (n, y, x, cin, cout, pad) => {
        const g = conv2dGeometry(n, y.inSize, x.inSize, cin, cout, y.k, x.k, y.s, x.s, pad);
        const ay = convAxis(y.inSize, y.k, y.s, pad);
        const ax = convAxis(x.inSize, x.k, x.s, pad);
        expect(g).toEqual({
          n, ih: y.inSize, iw: x.inSize, cin, oh: ay.out, ow: ax.out, cout,
          kh: y.k, kw: x.k, sh: y.s, sw: x.s, padTop: ay.padBefore, padLeft: ax.padBefore,
        });
        const p = pool2dGeometry(n, y.inSize, x.inSize, cin, y.k, x.k, y.s, x.s, pad);
        expect(p).toEqual({
          n, ih: y.inSize, iw: x.inSize, c: cin, oh: ay.out, ow: ax.out,
          ph: y.k, pw: x.k, sh: y.s, sw: x.s, padTop: ay.padBefore, padLeft: ax.padBefore,
        });
      }),
    );
  });

  it("pool 'same' windows never lie wholly in padding (padding cells never win)", () => {
    fc.assert(
      fc.property(size, size, kernel, kernel, stride, stride, (ih, iw, ph, pw, sh, sw) => {
        const g = pool2dGeometry(1, ih, iw, 1, ph, pw, sh, sw, 'same');
        for (let oy = 0; oy < g.oh; oy++) expect(windowTouchesInput(oy, sh, ph, g.padTop, ih)).toBe(true);
        for (let ox = 0; ox < g.ow; ox++) expect(windowTouchesInput(ox, sw, pw, g.padLeft, iw)).toBe(true);
      }),
    );
  });

  it('the deep-conv and denoiser shapes', () => {
    expect(pool2dGeometry(1, 7, 7, 8, 2, 2, 2, 2, 'same')).toMatchObject({ oh: 4, ow: 4, padTop: 0, padLeft: 0 });
    expect(conv2dGeometry(1, 28, 28, 1, 16, 3, 3, 2, 2, 'same')).toMatchObject({ oh: 14, ow: 14, padTop: 0, padLeft: 0 });
    expect(conv2dGeometry(1, 14, 14, 16, 8, 3, 3, 2, 2, 'same')).toMatchObject({ oh: 7, ow: 7, padTop: 0, padLeft: 0 });
    expect(conv2dTransposeGeometry(1, 7, 7, 8, 8, 3, 3, 2, 2, 'same')).toMatchObject({ ih: 14, iw: 14, oh: 7, ow: 7, padTop: 0 });
    expect(conv2dGeometry(1, 16, 16, 8, 16, 3, 3, 1, 1, 'valid')).toMatchObject({ oh: 14, ow: 14 });
  });
});

describe('conv2dTransposeGeometry', () => {
  it('is the geometry of the conv from its output back to its input (round trip)', () => {
    fc.assert(
      fc.property(batch, size, size, channels, channels, kernel, kernel, stride, stride, padding, (n, ih, iw, cin, cout, kh, kw, sh, sw, pad) => {
        const t = conv2dTransposeGeometry(n, ih, iw, cin, cout, kh, kw, sh, sw, pad);
        // Its output is [n, t.ih, t.iw, cout]; its input [n, ih, iw, cin] is that conv's output.
        expect([t.oh, t.ow, t.cout, t.cin]).toEqual([ih, iw, cin, cout]);
        expect(t.ih).toBe(convTransposeAxis(ih, kh, sh, pad).out);
        expect(t.iw).toBe(convTransposeAxis(iw, kw, sw, pad).out);
        const back = conv2dGeometry(n, t.ih, t.iw, cout, cin, kh, kw, sh, sw, pad);
        expect(back).toEqual(t);
      }),
    );
  });
});

describe('invalid arguments throw ShapeError', () => {
  const bad = fc.oneof(
    fc.integer({ min: -100, max: 0 }),
    fc.double({ min: 0.01, max: 50, noNaN: true }).filter((v) => !Number.isInteger(v)),
    fc.constantFrom(NaN, Infinity, -Infinity),
  );
  const good = [2, 9, 9, 3, 4, 3, 3, 2, 2] as const; // n, ih, iw, cin, cout, kh, kw, sh, sw
  const names = ['ih', 'iw', 'cin', 'cout', 'kh', 'kw', 'sh', 'sw'];

  it('conv2dGeometry and conv2dTransposeGeometry: a zero, negative or non-integer size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), bad, padding, (which, v, pad) => {
        const args = [...good] as number[];
        args[which] = v;
        const call = (f: typeof conv2dGeometry) => () => f(args[0]!, args[1]!, args[2]!, args[3]!, args[4]!, args[5]!, args[6]!, args[7]!, args[8]!, pad);
        expect(call(conv2dGeometry), `${names[which - 1]} = ${v}`).toThrow(ShapeError);
        expect(call(conv2dTransposeGeometry), `${names[which - 1]} = ${v}`).toThrow(ShapeError);
      }),
    );
  });

  it('pool2dGeometry: a zero, negative or non-integer size', () => {
    // n, ih, iw, c, ph, pw, sh, sw
    const poolGood = [2, 9, 9, 3, 2, 2, 2, 2];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), bad, padding, (which, v, pad) => {
        const a = [...poolGood];
        a[which] = v;
        expect(() => pool2dGeometry(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, pad)).toThrow(ShapeError);
      }),
    );
  });

  it("a kernel or window larger than a 'valid' input", () => {
    fc.assert(
      fc.property(size, fc.integer({ min: 1, max: 5 }), stride, fc.boolean(), (inSize, extra, s, alongH) => {
        const k = inSize + extra;
        const [ih, iw, kh, kw] = alongH ? [inSize, 64, k, 1] : [64, inSize, 1, k];
        expect(() => conv2dGeometry(1, ih, iw, 1, 1, kh, kw, s, s, 'valid')).toThrow(ShapeError);
        expect(() => pool2dGeometry(1, ih, iw, 1, kh, kw, s, s, 'valid')).toThrow(ShapeError);
        // 'same' pads instead, and a transposed conv always fits.
        expect(conv2dGeometry(1, ih, iw, 1, 1, kh, kw, s, s, 'same').oh).toBe(Math.ceil(ih / s));
        expect(() => conv2dTransposeGeometry(1, ih, iw, 1, 1, kh, kw, s, s, 'valid')).not.toThrow();
      }),
    );
  });

  it('the error names the layer and the offending value', () => {
    expect(() => conv2dGeometry(1, 28, 28, 1, 16, 3, 0, 1, 1, 'same')).toThrow(/Conv2D: kw must be a positive integer, got 0/);
    expect(() => pool2dGeometry(1, 3, 3, 1, 4, 4, 1, 1, 'valid')).toThrow(/MaxPooling2D: a 4x4 'valid' window does not fit a 3x3 input/);
  });
});
