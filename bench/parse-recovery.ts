/**
 * Parser recovery on large broken inputs: `npm run bench:parse [-- N]`.
 *
 * 1. The reproducers of issue #17 item 7 (test/fixtures/repro/fuzz): compile (to its diagnostics) and `nlmc fmt`'s
 *    formatModel, each the best of N runs (3 by default) after one cold run, and the first diagnostic. The target is
 *    under 1 s each (they took 15.6 s, 20.9 s and ~8 s before grammar/recovery.ts).
 * 2. Scaling: generated files with n broken lines (or n chained operators), n = 1000…8000, parse time per n. Linear
 *    recovery shows as a flat ms-per-1000-lines column.
 * Prints figures only; asserts nothing (test/grammar/recovery-scale.test.ts asserts the diagnostics). Under tsx the
 * parser pays for esbuild's function-name helper on every closure; `node dist/…` (what `nlmc` runs) is ~2× faster.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compile } from '../compiler/pipeline.js';
import { formatModel } from '../grammar/format.js';
import { parseModel } from '../grammar/parse.js';

const runs = Number(process.argv[2] ?? 3);
const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`../test/fixtures/repro/fuzz/${name}`, import.meta.url)), 'utf8');

function best(run: () => unknown): number {
  run();
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    run();
    min = Math.min(min, performance.now() - start);
  }
  return min;
}

const pad = (s: string, n: number): string => s.padEnd(n);
console.log(`${pad('reproducer', 46)}${pad('compile ms', 12)}${pad('fmt ms', 10)}first diagnostic (of n)`);
for (const name of ['pow-chain-10000-in-states.nlm', 'if-chain-4000-in-initial.nlm', 'stray-states-keyword-then-500-piecewise.nlm']) {
  const source = fixture(name);
  const diagnostics = compile(source).diagnostics;
  const first = diagnostics[0];
  const where = first ? `${first.code} ${first.range.start.line}:${first.range.start.column} ${first.message} (of ${diagnostics.length})` : 'none';
  console.log(`${pad(name, 46)}${pad(best(() => compile(source)).toFixed(0), 12)}${pad(best(() => formatModel(source)).toFixed(0), 10)}${where}`);
}

const header = 'model broken\nparameters {\n  k = 0.5 lognormal(omega = 0.3)\n}\n';
const generators: Record<string, (n: number) => string> = {
  'n broken lines in one block': (n) => `${header}ode {\n${Array.from({ length: n }, (_, i) => `  f${i} = ) ( * ,`).join('\n')}\n}\n`,
  'n broken call arguments': (n) => `${header}ode {\n  y = max(\n${Array.from({ length: n }, () => '  1 2,').join('\n')}\n  1)\n}\n`,
  'n chained ^ in a states block': (n) => `${header}states {\n  ${Array(n).fill('X').join('^')}\n}\n`,
  'a stray keyword, then n definitions': (n) =>
    `${header}ode {\n  a = piecewise(t < 1: 1, otherwise: states k)\n${Array.from({ length: n }, (_, i) => `  f${i} = piecewise(t < 1: 1, otherwise: k)`).join('\n')}\n}\n`,
};
const sizes = [1000, 2000, 4000, 8000];
console.log(`\n${pad('parse ms (ms per 1000)', 40)}${sizes.map((n) => pad(`n = ${n}`, 16)).join('')}`);
for (const [name, generate] of Object.entries(generators)) {
  const cells = sizes.map((n) => {
    const source = generate(n);
    const ms = best(() => parseModel(source));
    return pad(`${ms.toFixed(0)} (${((ms * 1000) / n).toFixed(0)})`, 16);
  });
  console.log(`${pad(name, 40)}${cells.join('')}`);
}
