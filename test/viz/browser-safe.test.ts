// src/viz is shared with the browser bundle: it must not import Node built-ins.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('src/viz imports nothing from node:', () => {
  const dir = join(import.meta.dirname, '../../src/viz');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    expect(text, file).not.toMatch(/from\s+['"](node:|fs['"]|path['"])/);
  }
});
