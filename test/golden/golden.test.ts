/**
 * Golden snapshots of the compiler's artifacts for every example model: test/golden/<example>/<model>.ir.txt,
 * <model>.wgsl (the model functions), <model>.ts, and the shader the WebGPU engine runs for each integration method
 * (<model>.kernel.wgsl: explicit, <model>.rosenbrock.kernel.wgsl), where <example> is the model's folder under
 * examples/ and <model> its file name. The kernels are `nlmc build`'s kernel artifact, made by the function the
 * engine's prepared model calls (compiler/emit-wgsl/runnable-shader.ts); a test here checks that they are the same.
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
import { compile, type CompileResult, type EmitTarget } from '../../compiler/pipeline.js';
import { prepareModel } from '../../runtime/engine/prepared-model.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const goldenRoot = join(root, 'test', 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

const examples = readdirSync(join(root, 'examples'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.nlm'))
  .sort();

const targets = ['ir', 'wgsl', 'kernel', 'ts'] as const satisfies readonly EmitTarget[];

interface Compiled {
  readonly main: CompileResult;
  /** The kernel artifact for the Rosenbrock method. */
  readonly rosenbrock: CompileResult;
}

/** Each snapshot: the file's ending and the artifact it holds. */
const snapshots: readonly { ending: string; artifact: (r: Compiled) => string | undefined }[] = [
  { ending: '.ir.txt', artifact: (r) => r.main.artifacts.ir },
  { ending: '.wgsl', artifact: (r) => r.main.artifacts.wgsl },
  { ending: '.kernel.wgsl', artifact: (r) => r.main.artifacts.kernel },
  { ending: '.rosenbrock.kernel.wgsl', artifact: (r) => r.rosenbrock.artifacts.kernel },
  { ending: '.ts', artifact: (r) => r.main.artifacts.ts },
];

function matches(file: string, actual: string | undefined): void {
  expect(actual, `no artifact for ${relative(root, file)}`).toBeTypeOf('string');
  if (update) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual!);
    return;
  }
  if (!existsSync(file)) throw new Error(`${relative(root, file)} is missing: run UPDATE_GOLDEN=1 npx vitest run test/golden`);
  expect(actual, `${relative(root, file)} differs: if the change is intended, run UPDATE_GOLDEN=1 npx vitest run test/golden`).toBe(readFileSync(file, 'utf8'));
}

describe('golden artifacts', () => {
  it('finds the example models', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  for (const example of examples) {
    const model = basename(example, '.nlm');
    const dir = join(goldenRoot, dirname(example));
    describe(`examples/${example}`, () => {
      const source = readFileSync(join(root, 'examples', example), 'utf8');
      const result: Compiled = { main: compile(source, { emit: targets }), rosenbrock: compile(source, { emit: ['kernel'], method: 'rosenbrock' }) };

      it('compiles without errors', () => {
        expect(result.main.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
      });

      for (const snapshot of snapshots) {
        const file = join(dir, model + snapshot.ending);
        it(`matches ${relative(root, file)}`, () => matches(file, snapshot.artifact(result)));
      }

      it('the kernel artifact is the shader the engine runs, for each method', async () => {
        expect((await prepareModel(result.main)).shader).toBe(result.main.artifacts.kernel);
        expect((await prepareModel(result.main, { method: 'rosenbrock' })).shader).toBe(result.rosenbrock.artifacts.kernel);
      });
    });
  }
});
