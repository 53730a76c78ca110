// Colours for figures: one palette for categories, a few neutral tones for chrome.
import { ArgumentError } from '../errors.js';

/** An opaque sRGB colour, each channel 0..255. */
export type Rgb = readonly [number, number, number];

/** A colour as `[r, g, b]` or a `#rrggbb` / `#rgb` string. */
export type ColorLike = Rgb | string;

/**
 * Tableau 10 as matplotlib ships it (`tab10`): distinct hues of similar weight, so no
 * digit class dominates a scatter, and the colours readers already know from Python.
 */
export const TAB10: readonly Rgb[] = [
  [0x1f, 0x77, 0xb4], [0xff, 0x7f, 0x0e], [0x2c, 0xa0, 0x2c], [0xd6, 0x27, 0x28],
  [0x94, 0x67, 0xbd], [0x8c, 0x56, 0x4b], [0xe3, 0x77, 0xc2], [0x7f, 0x7f, 0x7f],
  [0xbc, 0xbd, 0x22], [0x17, 0xbe, 0xcf],
];

/** The most classes a figure colours apart (the data sets' MAX_CLASSES, src/data/dataset.ts). */
export const MAX_CLASS_COLORS = 64;

/**
 * One colour per class for `count` classes: Tableau 10 for up to ten (MNIST's digits keep
 * their familiar colours), then hues a golden angle apart at three lightnesses, so
 * neighbouring labels (EMNIST's 'a' and 'b') never get near-identical colours.
 */
export function classColors(count: number): Rgb[] {
  if (!Number.isInteger(count) || count < 0 || count > MAX_CLASS_COLORS) {
    throw new ArgumentError(`classColors: expected 0..${MAX_CLASS_COLORS} classes, found ${count}`);
  }
  const out = TAB10.slice(0, count);
  for (let i = TAB10.length; i < count; i++) {
    const j = i - TAB10.length;
    out.push(hsl((j * 137.508) % 360, 0.65, [0.45, 0.6, 0.32][j % 3]!));
  }
  return out;
}

function hsl(h: number, s: number, l: number): Rgb {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => Math.round(255 * (l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1))));
  return [f(0), f(8), f(4)];
}

export const WHITE: Rgb = [255, 255, 255];
export const BLACK: Rgb = [0, 0, 0];
/** Titles and primary text: near-black reads softer than pure black on white. */
export const INK: Rgb = [0x22, 0x22, 0x22];
/** Tick labels and axis labels. */
export const MUTED: Rgb = [0x55, 0x55, 0x55];
/** Axis spines and tick marks. */
export const AXIS: Rgb = [0x88, 0x88, 0x88];
/** Grid lines: visible but below the data. */
export const GRID: Rgb = [0xe6, 0xe6, 0xe6];
/** Thin borders around light content (legend box, inverted image cells). */
export const BORDER: Rgb = [0xcc, 0xcc, 0xcc];

/** Parses a ColorLike; `where` names the option for the error message. */
export function parseColor(c: ColorLike, where: string): Rgb {
  if (typeof c !== 'string') {
    if (c.length === 3 && c.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) return c;
    throw new ArgumentError(`${where}: expected [r, g, b] with integers 0..255, found [${c.join(', ')}]`);
  }
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(c);
  if (!m) throw new ArgumentError(`${where}: expected a colour '#rrggbb' or '#rgb', found '${c}'`);
  let hex = m[1]!;
  if (hex.length === 3) hex = [...hex].map((h) => h + h).join('');
  const v = parseInt(hex, 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}
