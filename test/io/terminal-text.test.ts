// Strings from files reach the terminal escaped: every C0/C1 control, DEL, bidi mark,
// override and isolate shows as a visible escape; ordinary text (accents, CJK, emoji,
// backslashes in Windows paths) passes unchanged.
import { describe, expect, it } from 'vitest';
import { terminalLines, terminalText } from '../../src/io/terminal-text.js';
import { RAW_CONTROL } from './raw-control.js';

describe('terminalText', () => {
  it('renders newlines, ANSI escapes, C1 controls and bidi overrides visibly', () => {
    expect(terminalText('dense\n\x1b[2J\x1b[31mPWNED\x1b[0m')).toBe('dense\\n\\x1b[2J\\x1b[31mPWNED\\x1b[0m');
    expect(terminalText('a\rb\tc\0d\x7f\x9b31m')).toBe('a\\rb\\tc\\x00d\\x7f\\x9b31m');
    expect(terminalText('evil\u202etxt.exe \u2066x\u2069 \u200f \u2028 \ufeff')).toBe('evil\\u202etxt.exe \\u2066x\\u2069 \\u200f \\u2028 \\ufeff');
  });

  it('leaves printable text alone', () => {
    const text = 'modèle 模型 🙂 C:\\runs\\dense "quoted" 100%';
    expect(terminalText(text)).toBe(text);
  });

  it('escapes every code point in the unsafe ranges, and nothing else below U+3000', () => {
    for (let c = 0; c < 0x3000; c++) {
      const ch = String.fromCharCode(c);
      const out = terminalText(ch);
      expect(RAW_CONTROL.test(out) || out.includes('\n'), `U+${c.toString(16)}`).toBe(false);
      expect(out !== ch, `U+${c.toString(16)}`).toBe(RAW_CONTROL.test(ch) || ch === '\n');
    }
  });

  it('terminalLines keeps the lines of a table but escapes everything else', () => {
    expect(terminalLines('row 1\nrow \x1b[1m2\r\n\u202e')).toBe('row 1\nrow \\x1b[1m2\\r\n\\u202e');
  });

  it('JSON.stringify (the --json output) escapes C0 controls but not C1 or bidi characters', () => {
    // Why --json carries no strings from files unescaped by us: this is the gap.
    expect(JSON.stringify('a\n\x1b[31m')).toBe('"a\\n\\u001b[31m"');
    expect(JSON.stringify('\x9b\u202e')).toBe('"\x9b\u202e"');
  });
});
