/**
 * Bounded fuzzing of the front end (issue #17): mutated example models (test/fuzz/mutate.ts) through compile, the
 * renderer and the formatter, with the invariants of test/fuzz/invariants.ts — nothing thrown, every diagnostic
 * located inside the file, formatting idempotent. The suite runs FUZZ_COUNT inputs (default below) of FUZZ_SEED
 * (default fixed, so that CI is reproducible); `npm run bench:fuzz` runs 10⁵ with a fresh seed and reports times.
 * A failure names the seed, the input's index and mutations, and the input itself.
 *
 * The suite's inputs are of the 'suite' scale (pathological sizes up to 300 deep and 1,000-character names; the
 * larger ones have their own tests). The compile here stops after lowering (what the language server runs on every edit): the mutated inputs that
 * are still valid models go through differentiation and both emitters in the bench, where ts-morph's cost per valid
 * model does not count against the suite's time.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { diagnostic } from '../../diagnostics/diagnostic.js';
import { checkInput, locationProblem } from './invariants.js';
import { exampleModels, fuzzInput } from './mutate.js';

const count = Number(process.env['FUZZ_COUNT'] ?? 10_000);
const seed = Number(process.env['FUZZ_SEED'] ?? 17);
const chunk = 250;
const corpus = exampleModels();

describe(`fuzzing: ${count} mutated models of seed ${seed}`, () => {
  const chunks = Array.from({ length: Math.ceil(count / chunk) }, (_, k) => [k * chunk, Math.min(count, (k + 1) * chunk)] as const);
  it.each(chunks)('inputs %i to %i: nothing thrown, every diagnostic located, formatting idempotent', async (from, to) => {
    const broken: string[] = [];
    for (let i = from; i < to; i++) {
      // Let the worker's event loop run now and then: vitest's messages to the main process time out otherwise.
      if (i % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
      const input = fuzzInput(corpus, seed, i, 'suite');
      const checked = checkInput(input.source, { stopAfter: 'lower' });
      if (checked.problem) {
        broken.push(`input ${i} of seed ${seed}, scale 'suite' (${input.how}): ${checked.problem}\n  input: ${JSON.stringify(input.source.slice(0, 2000))}${input.source.length > 2000 ? '…' : ''}`);
      }
    }
    expect(broken.slice(0, 5).join('\n\n')).toBe('');
  }, 300_000);

  it('the generator is reproducible and varied: the same (seed, index) gives the same input, and inputs differ', () => {
    expect(fuzzInput(corpus, seed, 123)).toEqual(fuzzInput(corpus, seed, 123));
    const distinct = new Set(Array.from({ length: 200 }, (_, i) => fuzzInput(corpus, seed, i).source));
    expect(distinct.size).toBeGreaterThan(190);
  });

  it('the location check catches what it is for: a column that disagrees with the offset, a line past the end, a lone CR', () => {
    const source = 'model m\r\nstates {\r  X(0) = 1\n}\n';
    const at = (line: number, column: number, offset: number) => ({ line, column, offset });
    const d = (start: ReturnType<typeof at>, end: ReturnType<typeof at>) => diagnostic('E101', { start, end }, 'm');
    // 'X' is on line 3 (the lone CR ends line 2), column 3, offset 20; the file has 5 lines (the last one empty).
    expect(locationProblem(d(at(3, 3, 20), at(3, 4, 21)), source)).toBeUndefined();
    expect(locationProblem(d(at(3, 4, 20), at(3, 5, 21)), source)).toMatch(/start 3:4 is offset 21, not 20/);
    expect(locationProblem(d(at(2, 12, 20), at(2, 13, 21)), source)).toMatch(/start column 12 is past the end of line 2 \(8 characters\)/);
    expect(locationProblem(d(at(6, 1, 31), at(6, 1, 31)), source)).toMatch(/offset 31 outside 0\.\.30|line 6 outside 1\.\.5/);
    expect(locationProblem(d(at(3, 4, 21), at(3, 3, 20)), source)).toMatch(/ends \(20\) before it starts \(21\)/);
  });

  // What the bench found, kept as cases: each broke an invariant before its fix.
  it.each([
    // A string with a lone CR inside was one token spanning two lines, which the lexer did not count as a line break:
    // every later position on the line was off (bench seed 2026, input 4910).
    ['a lone CR inside a string', 'model m\ncovariates {\n  t3 "u\r" day\n}\n', ["E100 3:6 unterminated string: close it with '\"' on the same line", "E100 4:1 unterminated string: close it with '\"' on the same line"]],
  ])('found by the bench: %s', (_, source, expected) => {
    const checked = checkInput(source, { stopAfter: 'lower' });
    expect(checked.problem).toBeUndefined();
    const { diagnostics } = compile(source, { stopAfter: 'lower' });
    expect(diagnostics.filter((d) => d.code.startsWith('E10')).map((d) => `${d.code} ${d.range.start.line}:${d.range.start.column} ${d.message}`)).toEqual(expected);
  });
});
