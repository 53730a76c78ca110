// Every error src/ throws is one of the typed classes of src/errors.ts (DESIGN.md "Naming
// and style"), so callers can catch AeError and tell bad input from bad files.
import { expect, it } from 'vitest';
import ts from 'typescript';
import { AeError, WorkerError } from '../src/errors.js';
import { forEachNode, sourceFiles } from './source-files.js';

const UNTYPED = new Set(['Error', 'TypeError', 'RangeError']);

function untypedThrows(): string[] {
  const found: string[] = [];
  for (const { file, ast } of sourceFiles()) {
    forEachNode(ast, (node) => {
      if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression) && UNTYPED.has(node.expression.text)) {
        const { line } = ast.getLineAndCharacterOfPosition(node.getStart());
        found.push(`${file}:${line + 1}: ${node.getText().slice(0, 80)}`);
      }
    });
  }
  return found;
}

it('src/ constructs no Error, TypeError or RangeError (only the typed classes of src/errors.ts)', () => {
  expect(untypedThrows()).toEqual([]);
});

it('WorkerError is an AeError named after its class', () => {
  const err = new WorkerError('kernel worker 1 failed to start: no script');
  expect(err).toBeInstanceOf(AeError);
  expect(err.name).toBe('WorkerError');
});
