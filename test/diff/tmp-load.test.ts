import { readFileSync } from 'node:fs';
import { test, expect } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { loadTsModel } from '../../runtime/model/load-ts-module.js';
test('load', async () => {
  const r = compile(readFileSync('examples/pk/pk.nlm', 'utf8'), { emit: ['ts'] });
  const m = await loadTsModel(r.artifacts.ts!);
  const out = [0, 0];
  m.rhs(0, [1, 2], [0.5, 2], [], out);
  expect(out).toEqual([3.5, -4]);
});
