// Markdown output: tables, and rewriting one marked section of a README so that each
// suite (kernels, training, inference, ...) owns its own part of bench/README.md and
// leaves the rest, including the other suites' sections, untouched.

import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../src/io/file-node.js';

export type Align = 'left' | 'right';

/** A GitHub-flavoured table; cells are used as given (escape `|` yourself). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): string {
  const rule = header.map((_, i) => (align?.[i] === 'right' ? '---:' : '---'));
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(rule), ...rows.map(line)].join('\n');
}

export function sectionMarkers(section: string): { begin: string; end: string } {
  return { begin: `<!-- ${section}:begin -->`, end: `<!-- ${section}:end -->` };
}

/**
 * Replaces what lies between `<!-- section:begin -->` and `<!-- section:end -->` in
 * `file` with `body`; appends a new marked section when the markers are absent and
 * creates the file (with `title`) when it does not exist. Written atomically.
 */
export async function updateMarkedSection(file: string, section: string, body: string, title = '# Benchmarks'): Promise<void> {
  const { begin, end } = sectionMarkers(section);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
    text = `${title}\n`;
  }
  const block = `${begin}\n${body.trim()}\n${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) {
    text = text.slice(0, i) + block + text.slice(j + end.length);
  } else if (i >= 0 || j >= 0) {
    throw new Error(`${file}: the ${section} section has only one of its markers (${begin} ... ${end}); fix the file by hand`);
  } else {
    text = text.replace(/\n*$/, '\n\n') + block + '\n';
  }
  await writeFileAtomic(file, text);
}
