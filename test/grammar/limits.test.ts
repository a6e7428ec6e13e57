/**
 * Size limits. Valid models with very long expressions (a flat sum of hundreds of terms, a `sum` over a list of
 * thousands of values) must compile, and the emitted code must compute them: the emitters keep expressions shallow
 * (compiler/emit/schedule.ts), because the TypeScript parser behind ts-morph and WGSL compilers recurse on nesting.
 * Pathological nesting is an error; nothing a user writes may make compile() throw.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { maxExpressionDepth } from '../../compiler/emit/schedule.js';
import { maxNesting } from '../../grammar/parse.js';
import { validateWgsl } from '../../runtime/engine/webgpu/device.js';
import { loadTsModel } from '../../runtime/model/load-ts-module.js';
import { useGpu } from '../gpu/gpu-fixture.js';

const gpu = await useGpu();

function model(rhs: string, constants = ''): string {
  return [
    'model long', constants,
    'parameters {', '  k = 0.5 lognormal(omega = 0.3)', '}',
    'states {', '  X(0) = 1', '}',
    'ode {', `  d/dt X = ${rhs}`, '}',
    'observe {', '  y ~ normal(X, sd = sigma)', '}',
    'error {', '  sigma = 0.1', '}', '',
  ].join('\n');
}

/** The deepest parenthesis nesting on any line of `code`. */
function maxParenDepth(code: string): number {
  let max = 0;
  for (const line of code.split('\n')) {
    let depth = 0;
    for (const ch of line) {
      if (ch === '(') max = Math.max(max, ++depth);
      else if (ch === ')') depth--;
    }
  }
  return max;
}

function formatted(r: ReturnType<typeof compile>): string[] {
  return r.diagnostics.map((d) => `${d.code} ${d.range.start.line}:${d.range.start.column} ${d.message}`);
}

describe('long expressions', () => {
  it('a flat sum of 800 terms compiles to shallow code that computes it', async () => {
    const r = compile(model(`${Array.from({ length: 800 }, () => 'k').join(' + ')} - X`));
    expect(formatted(r)).toEqual([]);
    expect(Object.keys(r.artifacts).sort()).toEqual(['ir', 'ts', 'wgsl']);
    // Without the cut the right-hand side alone would nest 800 deep.
    expect(maxParenDepth(r.artifacts.ts!)).toBeLessThanOrEqual(2 * maxExpressionDepth + 4);
    expect(maxParenDepth(r.artifacts.wgsl!)).toBeLessThanOrEqual(2 * maxExpressionDepth + 4);
    const m = await loadTsModel(r.artifacts.ts!);
    const out = [0];
    m.rhs(0, [1], [0.5], [], out);
    expect(out[0]).toBeCloseTo(800 * 0.5 - 1, 10);
  });

  it('a sum over a constant list of 1500 values compiles and computes it', async () => {
    const values = Array.from({ length: 1500 }, (_, i) => i);
    const r = compile(model('sum(c in L: k * c) - X', `constants {\n  L = [${values.join(', ')}]\n}`));
    expect(formatted(r)).toEqual([]);
    const m = await loadTsModel(r.artifacts.ts!);
    const out = [0];
    m.rhs(0, [2], [0.5], [], out);
    expect(out[0]).toBeCloseTo(0.5 * ((1499 * 1500) / 2) - 2, 6);
    const dp = [0];
    m.rhsDp(0, [2], [0.5], [], dp);
    expect(dp[0]).toBeCloseTo((1499 * 1500) / 2, 6);
  });
});

describe.skipIf(!gpu)('long expressions on WebGPU', () => {
  it('Dawn accepts the WGSL of a flat sum of 800 terms', async () => {
    const r = compile(model(`${Array.from({ length: 800 }, () => 'k').join(' + ')} - X`));
    const messages = await validateWgsl(gpu!.device, r.artifacts.wgsl!);
    expect(messages.filter((m) => m.type === 'error')).toEqual([]);
  });
});

describe('pathological nesting is reported, never thrown', () => {
  const nested = (n: number): string => `${'('.repeat(n)}k${')'.repeat(n)} * X`;

  it(`accepts ${maxNesting} nested parentheses`, () => {
    expect(formatted(compile(model(nested(maxNesting))))).toEqual([]);
  });

  const cases: [string, string, string][] = [
    ['one parenthesis too many', nested(maxNesting + 1), "E101 10:12 this expression nests too deeply: split it into definitions"],
    ['deeply nested calls', `${'exp('.repeat(500)}k${')'.repeat(500)} * X`, 'E101 10:12 this expression nests too deeply: split it into definitions'],
    ['parentheses never closed', '('.repeat(5000), 'E101 10:12 this expression nests too deeply: split it into definitions'],
    ['nested lists', `sum(c in ${'['.repeat(200)}1${']'.repeat(200)}: c) * X`, 'E101 10:12 this expression nests too deeply: split it into definitions'],
    // Chains are cut before the parser (grammar/parse.ts limitChains), so they are reported where the value starts.
    ['a chain of 5000 powers', `${Array.from({ length: 5000 }, () => 'k').join(' ^ ')} * X`, 'E101 10:12 this expression nests too deeply: split it into definitions'],
    ['5000 else-ifs', `${Array.from({ length: 5000 }, (_, i) => `if t < ${i} then ${i} else `).join('')}0`, 'E101 10:12 this expression nests too deeply: split it into definitions'],
    [
      'a flat sum of 20000 terms', `${Array.from({ length: 20000 }, () => 'k').join(' + ')} - X`,
      'E101 10:12 this expression is too long or nests too deeply for the compiler: split it into definitions',
    ],
  ];
  for (const [name, rhs, expected] of cases) {
    it(name, () => {
      let result: ReturnType<typeof compile> | undefined;
      expect(() => (result = compile(model(rhs)))).not.toThrow();
      expect(formatted(result!)).toEqual([expected]);
    });
  }
});
