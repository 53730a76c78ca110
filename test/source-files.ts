// The TypeScript and JavaScript files under src/, parsed once with the compiler API, for
// the tests that read the code itself (architecture.test.ts, errors.test.ts).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface SourceFile {
  /** Relative to the package root, with forward slashes: "src/kernels/heap.ts". */
  file: string;
  ast: ts.SourceFile;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : /\.(ts|mts|mjs|js)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

export function sourceFiles(dir = 'src'): SourceFile[] {
  return walk(path.join(ROOT, dir))
    .sort()
    .map((p) => {
      const file = path.relative(ROOT, p).split(path.sep).join('/');
      return { file, ast: ts.createSourceFile(file, readFileSync(p, 'utf8'), ts.ScriptTarget.Latest, true) };
    });
}

/** Calls `visit` on every node of the file (comments are trivia, so never visited). */
export function forEachNode(ast: ts.SourceFile, visit: (node: ts.Node) => void): void {
  const go = (node: ts.Node): void => {
    visit(node);
    ts.forEachChild(node, go);
  };
  go(ast);
}
