// A nesting-depth scan of JSON text, run before JSON.parse on untrusted text. V8 parses
// deep nesting fine, but every recursive walk of the result afterwards (validators,
// JSON.stringify in error messages) overflows the stack on 100,000 levels, so we refuse
// such text up front. Linear, allocation-free, browser-safe.

import { scanJsonStructure } from './json-scan.js';

/** No file we write nests more than a handful of levels; this leaves room for others'. */
export const MAX_JSON_DEPTH = 64;

export interface DepthExcess {
  /** Character offset of the bracket that went one level too deep. */
  offset: number;
  /** The top-level object key whose value it is in, when there is one. */
  key: string | undefined;
}

/**
 * Where `text` first nests arrays and objects deeper than `maxDepth`, or undefined.
 * Brackets inside strings do not count; invalid JSON is left for JSON.parse to report.
 */
export function jsonDepthExcess(text: string, maxDepth = MAX_JSON_DEPTH): DepthExcess | undefined {
  let depth = 0;
  let key: string | undefined;
  // Whether the next string at depth 1 is a key (it follows '{' or ',').
  let expectKey = false;
  let excess: DepthExcess | undefined;
  scanJsonStructure(text, {
    string(start, end) {
      if (depth === 1 && expectKey) key = text.slice(start + 1, end);
      expectKey = false;
    },
    open(object, offset) {
      depth++;
      if (depth > maxDepth) {
        excess = { offset, key };
        return true;
      }
      expectKey = object && depth === 1;
      return false;
    },
    close() {
      depth--;
      expectKey = false;
    },
    comma() {
      expectKey = depth === 1;
    },
  });
  return excess;
}

/** A phrase for error messages: "nests deeper than 64 levels at character 9 (in "shape")". */
export function describeDepthExcess(e: DepthExcess, maxDepth = MAX_JSON_DEPTH): string {
  const inKey = e.key === undefined ? '' : ` (in ${JSON.stringify(e.key.length > 60 ? `${e.key.slice(0, 57)}...` : e.key)})`;
  return `nests deeper than ${maxDepth} levels at character ${e.offset}${inKey}`;
}
