// One pass over the structure of JSON text, for the checks run on untrusted text before
// JSON.parse (json-depth.ts: nesting depth; models/json-duplicates.ts: repeated keys).
// It reports brackets, commas and the extent of each string (escapes skipped, so brackets
// and quotes inside strings do not count) and nothing else; invalid JSON is left for
// JSON.parse to report. Linear, allocation-free, browser-safe.

export interface JsonStructureVisitor {
  /** `{` or `[` at `offset`; return true to stop the scan. */
  open(object: boolean, offset: number): boolean | void;
  close(): void;
  comma(): void;
  /** A string from its opening quote at `start` to its closing quote at `end` (or the text's end); return true to stop. */
  string(start: number, end: number): boolean | void;
}

export function scanJsonStructure(text: string, v: JsonStructureVisitor): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c /* \ */) i++;
        else if (s === 0x22) break;
      }
      if (v.string(start, i)) return;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (v.open(c === 0x7b, i)) return;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) v.close();
    else if (c === 0x2c /* , */) v.comma();
  }
}
