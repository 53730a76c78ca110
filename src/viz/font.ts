// A built-in bitmap font, so figures need no font files and look the same everywhere.
// Each glyph is 5 columns x 9 rows: rows 0..6 hold capitals and digits (row 6 is the
// baseline row), rows 7..8 the descenders of g j p q y , ; ( ) [ ] { } |. Lower case
// has its x-height at rows 2..6. Letters and punctuation are spaced proportionally
// (their ink width plus one column); digits keep a fixed 5-column cell so numbers in
// tick labels line up.
import type { Rgb } from './colors.js';
import type { Raster } from './raster.js';

/** Rows per glyph, descenders included. */
export const GLYPH_ROWS = 9;
/** Rows from the top of a capital to the baseline, inclusive. */
export const CAP_HEIGHT = 7;
const GLYPH_COLUMNS = 5;
const SPACE_WIDTH = 3;
const LETTER_SPACING = 1;

// One base-32 digit per row, top to bottom; bit 4 is the leftmost column. So 'A' =
// 'ehhvhhh00' reads .###. #...# #...# ##### #...# #...# #...# ..... .....
const GLYPHS: Readonly<Record<string, string>> = {
  '!': 'ggggg0g00', '"': 'kk0000000', '#': 'aavavaa00', '$': '4fke5u400', '%': 'op248j300',
  '&': 'cik8lid00', "'": 'gg0000000', '(': '48ggggg84', ')': 'g8444448g', '*': '04lel4000',
  '+': '0044v4400', ',': '0000008g0', '-': '000u00000', '.': '000000g00', '/': '122488g00',
  '0': 'ehhhhhe00', '1': '4c4444e00', '2': 'eh1248v00', '3': 'eh161he00', '4': '26aiv2200',
  '5': 'vgu11he00', '6': '68guhhe00', '7': 'v12488800', '8': 'ehhehhe00', '9': 'ehhf12c00',
  ':': '00g000g00', ';': '0080008g0', '<': '248g84200', '=': '00v0v0000', '>': 'g84248g00',
  '?': 'eh1240400', '@': 'ehnlngf00', 'A': 'ehhvhhh00', 'B': 'uhhuhhu00', 'C': 'ehggghe00',
  'D': 'uhhhhhu00', 'E': 'vgguggv00', 'F': 'vgguggg00', 'G': 'ehgnhhf00', 'H': 'hhhvhhh00',
  'I': 's88888s00', 'J': '72222ic00', 'K': 'hikokih00', 'L': 'ggggggv00', 'M': 'hrllhhh00',
  'N': 'hhpljhh00', 'O': 'ehhhhhe00', 'P': 'uhhuggg00', 'Q': 'ehhhlid00', 'R': 'uhhukih00',
  'S': 'fgge11u00', 'T': 'v44444400', 'U': 'hhhhhhe00', 'V': 'hhhhha400', 'W': 'hhhllla00',
  'X': 'hha4ahh00', 'Y': 'hha444400', 'Z': 'v1248gv00', '[': 'sgggggggs', '\\': 'g88422100',
  ']': 's4444444s', '^': '8k0000000', '_': '00000000v', '`': 'g80000000', 'a': '00e1fhf00',
  'b': 'ggmphhu00', 'c': '00egghe00', 'd': '11djhhf00', 'e': '00ehvge00', 'f': '68u888800',
  'g': '00fhhhf1e', 'h': 'ggmphhh00', 'i': 'g0ggggg00', 'j': '2062222ic', 'k': 'ggikoki00',
  'l': 'o88888c00', 'm': '00qllll00', 'n': '00mphhh00', 'o': '00ehhhe00', 'p': '00uhhhugg',
  'q': '00fhhhf11', 'r': '00mpggg00', 's': '00fge1u00', 't': '88u888600', 'u': '00hhhjd00',
  'v': '00hhha400', 'w': '00hhlla00', 'x': '00ha4ah00', 'y': '00hhhhf1e', 'z': '00v248v00',
  '{': '4888g8884', '|': 'ggggggggg', '}': 'g8884888g', '~': '000di0000',
};

interface Glyph {
  rows: number[];
  /** First column drawn and advance, in font pixels. */
  left: number;
  advance: number;
}

function buildGlyph(ch: string, code: string): Glyph {
  const rows = [...code].map((d) => parseInt(d, 32));
  const ink = rows.reduce((a, b) => a | b, 0);
  if (/[0-9]/.test(ch)) return { rows, left: 0, advance: GLYPH_COLUMNS + LETTER_SPACING };
  // Trim empty columns on both sides: bit 4 is column 0.
  let left = 0;
  while (left < GLYPH_COLUMNS && !(ink & (16 >> left))) left++;
  let right = GLYPH_COLUMNS - 1;
  while (right > left && !(ink & (16 >> right))) right--;
  return { rows, left, advance: right - left + 1 + LETTER_SPACING };
}

const FONT = new Map<string, Glyph>(Object.entries(GLYPHS).map(([ch, code]) => [ch, buildGlyph(ch, code)]));
const SPACE: Glyph = { rows: new Array<number>(GLYPH_ROWS).fill(0), left: 0, advance: SPACE_WIDTH + LETTER_SPACING };
// Characters outside printable ASCII show as '?' rather than vanishing, so a label
// never silently loses letters.
const FALLBACK = FONT.get('?')!;

function glyphOf(ch: string): Glyph {
  return ch === ' ' ? SPACE : FONT.get(ch) ?? FALLBACK;
}

/** Width in pixels of `text` at integer `scale`, without the trailing letter spacing. */
export function textWidth(text: string, scale = 1): number {
  let w = 0;
  for (const ch of text) w += glyphOf(ch).advance;
  return Math.max(0, w - LETTER_SPACING) * scale;
}

/** Calls `plot(col, row)` for every inked font pixel of `text`, (0, 0) = top-left of the first glyph. */
function forEachInk(text: string, plot: (col: number, row: number) => void): void {
  let pen = 0;
  for (const ch of text) {
    const g = glyphOf(ch);
    for (let row = 0; row < GLYPH_ROWS; row++) {
      const bits = g.rows[row]!;
      for (let col = 0; col < GLYPH_COLUMNS; col++) {
        if (bits & (16 >> col)) plot(pen + col - g.left, row);
      }
    }
    pen += g.advance;
  }
}

export interface TextOptions {
  /** Integer magnification; 1 = 5 x 7 px capitals. */
  scale?: number;
  /** Which point of the text box (x, y) names horizontally. */
  align?: 'left' | 'center' | 'right';
  /**
   * Which point of the text (x, y) names vertically: the top of the capitals, their
   * middle (to centre a label on a tick or a row), or the baseline.
   */
  valign?: 'top' | 'middle' | 'baseline';
  /** Reads bottom to top (for a y-axis label); align then runs along the text, upward. */
  rotate?: boolean;
  /** Draws each pixel twice, one pixel apart, for titles. */
  bold?: boolean;
}

/** Draws `text` in the built-in font; see TextOptions for anchoring. */
export function drawText(r: Raster, text: string, x: number, y: number, color: Rgb, options: TextOptions = {}): void {
  const s = options.scale ?? 1;
  const bold = options.bold ? 1 : 0;
  const along = textWidth(text, s) + bold;
  const shift = options.align === 'center' ? Math.round(along / 2) : options.align === 'right' ? along : 0;
  const valign = options.valign ?? 'top';
  const across = valign === 'middle' ? Math.round((CAP_HEIGHT * s) / 2) : valign === 'baseline' ? CAP_HEIGHT * s : 0;
  const px = Math.round(x);
  const py = Math.round(y);
  forEachInk(text, (col, row) => {
    for (let b = 0; b <= bold; b++) {
      const u = col * s + b - shift; // along the text
      const v = row * s - across; // across the text, downward from the cap top
      // Rotated a quarter turn counter-clockwise: "along" runs up the page.
      if (options.rotate) r.fillRect(px + v, py - u - s, s, s, color);
      else r.fillRect(px + u, py + v, s, s, color);
    }
  });
}
