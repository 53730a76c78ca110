// Duplicate object keys in untrusted JSON text. JSON.parse keeps the last of two equal
// keys silently, so an architecture naming a part twice ({"parts": {"encoder": [...],
// "encoder": [...]}}) or wiring one twice would load as something its author did not
// write. Run after the depth scan (json-depth.ts) and before JSON.parse; invalid JSON is
// left for JSON.parse to report. Browser-safe.

/** The first key that repeats within one object, or undefined. Keys compare after unescaping. */
export function duplicateJsonKey(text: string): string | undefined {
  // One frame per open bracket: an object's keys so far (null for an array).
  const stack: { keys: Set<string> | null; expectKey: boolean }[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c /* \ */) i++;
        else if (s === 0x22) break;
      }
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        let key: string;
        try {
          key = JSON.parse(text.slice(start, i + 1)) as string;
        } catch {
          return undefined;
        }
        if (top.keys.has(key)) return key;
        top.keys.add(key);
        top.expectKey = false;
      }
    } else if (c === 0x7b /* { */) stack.push({ keys: new Set(), expectKey: true });
    else if (c === 0x5b /* [ */) stack.push({ keys: null, expectKey: false });
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) stack.pop();
    else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    }
  }
  return undefined;
}
