/**
 * The JavaScript the runtime imports (emitTs with typed: false) is the TS artifact without its types: for every
 * example model TypeScript's own transpiler gives byte-identical output for both (types are all it strips), and
 * the runtime's prepared model holds that JavaScript.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { emitTs } from '../../compiler/emit-ts/emit-ts.js';
import { compile } from '../../compiler/pipeline.js';
import { prepareModel } from '../../runtime/engine/prepared-model.js';
import { transpileTsModel } from '../../runtime/model/load-ts-module.js';
import { jsHelperSources, tsHelperSources } from '../../stdlib/special-functions.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const models = readdirSync(join(root, 'examples'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.nlm')).sort();

describe('the emitted JavaScript module', () => {
  it('covers the examples', () => expect(models.length).toBeGreaterThan(5));
  it("the built-ins' helper functions likewise", () => {
    expect(Object.keys(jsHelperSources)).toEqual(Object.keys(tsHelperSources));
    for (const [name, js] of Object.entries(jsHelperSources)) expect(transpileTsModel(js), name).toBe(transpileTsModel(tsHelperSources[name]!));
  });
  for (const model of models) {
    it(`${model}: is the TS module without types`, async () => {
      const compiled = compile(readFileSync(join(root, 'examples', model), 'utf8'));
      const js = emitTs(compiled.ir!, compiled.derivatives!, { typed: false });
      expect(js).not.toMatch(/: (number|void|boolean|ArrayLike<number>|Float64Array)\b/);
      expect(transpileTsModel(js)).toBe(transpileTsModel(compiled.artifacts.ts!));
      expect((await prepareModel(compiled)).moduleJs).toBe(js);
    });
  }
});
