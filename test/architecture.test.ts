// The arrows of DESIGN.md "The house", read from the import graph of src/ (every import,
// export-from and import() the TypeScript parser finds, type-only ones included: a type
// import is a dependency too).
//
//   cli -> train -> models -> nn -> kernels     (an arrow may skip layers, never point up)
//   io, data: leaves used by cli, train and models (data reads files through io); random: the seeded streams' leaf
//   browser -> io, models, nn, kernels (and viz); never cli, train, data or node:
//   viz, analysis: leaves for pictures and PCA; compress -> models (the .aec container); errors.ts: usable by all, uses nothing;
//   options.ts (the options-object key checks): usable by all, uses only errors.ts
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { forEachNode, ROOT, sourceFiles } from './source-files.js';

/** What each part of src/ (a directory, or a top-level file without its extension) may import; errors and options are implied. */
const USES: Record<string, string[]> = {
  errors: [],
  options: [],
  random: [],
  io: [],
  data: ['io', 'random'],
  analysis: [],
  viz: [],
  kernels: ['random'],
  nn: ['kernels', 'random'],
  models: ['nn', 'kernels', 'io', 'random'],
  train: ['models', 'nn', 'kernels', 'io', 'data', 'random'],
  // Lossy compression with a model's codes (.aec container): browser-safe, above models.
  compress: ['models'],
  // Conversions to and from other formats (ONNX, TF.js): read and build models.
  interop: ['models', 'nn', 'kernels', 'io', 'data', 'random'],
  cli: ['train', 'interop', 'models', 'nn', 'kernels', 'io', 'data', 'random', 'viz', 'analysis', 'compress'],
  browser: ['io', 'models', 'nn', 'kernels', 'viz'],
  // The package's Node entry: the library API of every layer but the command line.
  index: ['train', 'interop', 'models', 'nn', 'kernels', 'io', 'data', 'random', 'viz', 'analysis', 'compress'],
};

/**
 * Documented exceptions, file by file. The demo's training worker is a separate entry
 * (DESIGN.md lets it use train/); its protocol names train/'s EpochRecord type.
 */
const EXCEPTIONS: Record<string, string[]> = {
  'src/browser/train-worker.ts': ['train'],
  'src/browser/train-protocol.ts': ['train'],
};

/**
 * data/'s browser-safe files (scripts/build-browser.ts lets them into the bundles): model
 * files carry their normalisation, so models/ and the browser apply it too.
 */
const BROWSER_SAFE_DATA = ['src/data/normalize.ts', 'src/data/sources/types.ts'];

/** Files that may import Node built-ins: the command line, the data sources, and files named for Node. */
const mayUseNode = (file: string): boolean => /^src\/(cli|data)\//.test(file) || /(^|-)node[-.]/.test(path.posix.basename(file));

/** The bundles' entries (scripts/build-browser.ts): the page's API and its compute worker. */
const BROWSER_ENTRIES = ['src/browser/index.ts', 'src/browser/compute-worker.ts'];

interface Import {
  from: string;
  /** A file under src/ for relative imports, else the specifier ("node:fs", "commander"). */
  to: string;
  line: number;
}

const files = sourceFiles();

function importsOf(file: string, ast: ts.SourceFile): Import[] {
  const out: Import[] = [];
  const add = (spec: ts.Expression | undefined, node: ts.Node) => {
    if (!spec || !ts.isStringLiteralLike(spec)) return;
    const line = ast.getLineAndCharacterOfPosition(node.getStart()).line + 1;
    out.push({ from: file, to: spec.text.startsWith('.') ? resolve(file, spec.text) : spec.text, line });
  };
  forEachNode(ast, (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier, node);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], node);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal, node);
  });
  return out;
}

/** './x.js' from src/a/b.ts -> src/a/x.ts (ESM specifiers name the emitted .js). */
function resolve(from: string, spec: string): string {
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  const candidates = [joined.replace(/\.js$/, '.ts'), joined, joined.replace(/\.mjs$/, '.mts')];
  return candidates.find((c) => existsSync(path.join(ROOT, c))) ?? joined;
}

/** "src/kernels/heap.ts" -> "kernels"; "src/index.ts" -> "index". */
const partOf = (file: string): string => file.split('/')[1]!.replace(/\.[a-z]+$/, '');

const isNodeBuiltin = (spec: string): boolean => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!);

const graph = files.flatMap(({ file, ast }) => importsOf(file, ast));
const where = (i: Import): string => `${i.from}:${i.line} imports ${i.to}`;

describe('src/ import graph', () => {
  it('resolves every relative import to a file (so the checks below see the whole graph)', () => {
    const missing = graph.filter((i) => i.to.startsWith('src/') && !existsSync(path.join(ROOT, i.to)));
    expect(missing.map(where)).toEqual([]);
  });

  it('places every part of src/ in the layering', () => {
    expect([...new Set(files.map((f) => partOf(f.file)))].filter((p) => !(p in USES))).toEqual([]);
  });

  it('points every arrow down (DESIGN.md "The house")', () => {
    const wrong = graph.filter((i) => {
      if (!i.to.startsWith('src/')) return false;
      const [from, to] = [partOf(i.from), partOf(i.to)];
      if ((from === 'models' || from === 'browser') && BROWSER_SAFE_DATA.includes(i.to)) return false;
      return from !== to && to !== 'errors' && !(to === 'options' && from !== 'errors') && !USES[from]!.includes(to) && !(EXCEPTIONS[i.from] ?? []).includes(to);
    });
    expect(wrong.map(where)).toEqual([]);
  });

  it('keeps node: to the command line, the data sources and the files named for Node', () => {
    expect(graph.filter((i) => isNodeBuiltin(i.to) && !mayUseNode(i.from)).map(where)).toEqual([]);
  });

  it('nn/ never imports train/ (optimizer state is declared to the memory plan)', () => {
    expect(graph.filter((i) => partOf(i.from) === 'nn' && partOf(i.to) === 'train').map(where)).toEqual([]);
  });

  it('lets the browser entries reach, transitively, no node:, cli/, train/, data/ or Node-only file', () => {
    const bySource = new Map<string, Import[]>();
    for (const i of graph) bySource.set(i.from, [...(bySource.get(i.from) ?? []), i]);
    for (const entry of BROWSER_ENTRIES) {
      const seen = new Set([entry]);
      const queue = [entry];
      const bad: string[] = [];
      while (queue.length > 0) {
        for (const i of bySource.get(queue.shift()!) ?? []) {
          const nodeOnly = /^src\/(cli|train|data)\//.test(i.to) || (i.to.startsWith('src/') && mayUseNode(i.to));
          if (isNodeBuiltin(i.to) || (nodeOnly && !BROWSER_SAFE_DATA.includes(i.to))) bad.push(where(i));
          else if (i.to.startsWith('src/') && !seen.has(i.to)) {
            seen.add(i.to);
            queue.push(i.to);
          }
        }
      }
      expect(bad, entry).toEqual([]);
    }
  });
});
