// Duplicate object keys in untrusted JSON text. JSON.parse keeps the last of two equal
// keys silently, so an architecture naming a part twice ({"parts": {"encoder": [...],
// "encoder": [...]}}) or wiring one twice would load as something its author did not
// write. Run after the depth scan (json-depth.ts) and before JSON.parse; invalid JSON is
// left for JSON.parse to report. Browser-safe.

import { scanJsonStructure } from '../io/json-scan.js';

/** The first key that repeats within one object, or undefined. Keys compare after unescaping. */
export function duplicateJsonKey(text: string): string | undefined {
  // One frame per open bracket: an object's keys so far (null for an array).
  const stack: { keys: Set<string> | null; expectKey: boolean }[] = [];
  let found: string | undefined;
  scanJsonStructure(text, {
    string(start, end) {
      const top = stack[stack.length - 1];
      if (!top?.keys || !top.expectKey) return false;
      let key: string;
      try {
        key = JSON.parse(text.slice(start, end + 1)) as string;
      } catch {
        return true; // invalid JSON: JSON.parse will say where
      }
      if (top.keys.has(key)) {
        found = key;
        return true;
      }
      top.keys.add(key);
      top.expectKey = false;
      return false;
    },
    open(object) {
      stack.push({ keys: object ? new Set() : null, expectKey: object });
    },
    close() {
      stack.pop();
    },
    comma() {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    },
  });
  return found;
}
