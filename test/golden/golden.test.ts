/**
 * Golden snapshots of the compiler's three artifacts for every example model: test/golden/<example>/<model>.ir.txt,
 * <model>.wgsl and <model>.ts, where <example> is the model's folder under examples/ and <model> its file name.
 *
 * Why: the emitters' output is what users read (`nlmc build --emit ...`) and what the engine runs; a change in it
 * should be seen in review as a diff of these files, not discovered later. After an intended change, rewrite them
 * with `UPDATE_GOLDEN=1 npx vitest run test/golden` and review the diff.
 *
 * The .ts snapshots are excluded from the project's type check (tsconfig.json): they are data, and the emitted
 * module indexes arrays in a way `noUncheckedIndexedAccess` rejects.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile, type EmitTarget } from '../../compiler/pipeline.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const goldenRoot = join(root, 'test', 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

const examples = readdirSync(join(root, 'examples'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.nlm'))
  .sort();

const extensions: Record<EmitTarget, string> = { ir: '.ir.txt', wgsl: '.wgsl', ts: '.ts' };

describe('golden artifacts', () => {
  it('finds the example models', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  for (const example of examples) {
    const model = basename(example, '.nlm');
    const dir = join(goldenRoot, dirname(example));
    describe(`examples/${example}`, () => {
      const result = compile(readFileSync(join(root, 'examples', example), 'utf8'));

      it('compiles without errors', () => {
        expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
      });

      for (const target of ['ir', 'wgsl', 'ts'] as const) {
        const file = join(dir, model + extensions[target]);
        it(`matches ${relative(root, file)}`, () => {
          const actual = result.artifacts[target];
          expect(actual, `no ${target} artifact`).toBeTypeOf('string');
          if (update) {
            mkdirSync(dir, { recursive: true });
            writeFileSync(file, actual!);
            return;
          }
          if (!existsSync(file)) throw new Error(`${relative(root, file)} is missing: run UPDATE_GOLDEN=1 npx vitest run test/golden`);
          expect(actual, `${relative(root, file)} differs: if the change is intended, run UPDATE_GOLDEN=1 npx vitest run test/golden`).toBe(readFileSync(file, 'utf8'));
        });
      }
    });
  }
});
