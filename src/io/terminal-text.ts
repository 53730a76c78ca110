// Text from files and data shown on a terminal: preset names, a data source, layer and
// class names, file paths, and the messages that quote them. Raw, their control
// characters would act instead of showing — a newline forges a line, ESC [ ... recolours,
// moves the cursor or clears the screen, a C1 CSI (U+009B) does the same on some
// terminals, bidi overrides reorder what the reader sees. Rendered here as visible
// escapes (\n, \x1b, \u202e), so the terminal shows exactly what the string holds.

/**
 * C0 controls and DEL, C1 controls, bidi marks, embeddings, overrides and isolates
 * (U+061C, U+200E-200F, U+202A-202E, U+2066-2069), line and paragraph separators and
 * the byte-order mark.
 */
const UNSAFE_CLASS = '[\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\ufeff]';
const UNSAFE = new RegExp(UNSAFE_CLASS, 'g');
const UNSAFE_BUT_NEWLINE = new RegExp(`(?!\\n)${UNSAFE_CLASS}`, 'g');

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/** One line for a terminal: every control and bidi character shown as an escape. */
export function terminalText(text: string): string {
  return text.replace(UNSAFE, visible);
}

/** Text of several lines (a table, a stack trace): as terminalText, but its newlines kept. */
export function terminalLines(text: string): string {
  return text.replace(UNSAFE_BUT_NEWLINE, visible);
}
