/**
 * "Did you mean" is bounded: the banded distance agrees with the full Damerau–Levenshtein (optimal string
 * alignment) table wherever it is within the limit, and a 10,000- or 40,000-character name with a one-letter typo
 * (test/fixtures/repro/fuzz/longname-*.nlm) is answered in milliseconds, not 29 s or out of memory.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { closest, editDistance } from '../../diagnostics/suggest.js';

/** The full table, as before the bound. */
function fullDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[s.length]![t.length]!;
}

describe('the bounded edit distance', () => {
  it('equals the full table within the limit, and is limit + 1 above it (20,000 random pairs)', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const word = (): string => Array.from({ length: rand(9) }, () => 'abcA'[rand(4)]).join('');
    for (let k = 0; k < 20_000; k++) {
      const a = word();
      const b = rand(3) === 0 ? a.slice(0, rand(a.length + 1)) + 'abc'[rand(3)] + a.slice(rand(a.length + 1)) : word();
      const full = fullDistance(a, b);
      expect(editDistance(a, b)).toBe(full);
      for (const limit of [0, 1, 2, 3]) expect(editDistance(a, b, limit), `${a} ${b} ${limit}`).toBe(Math.min(full, limit + 1));
    }
  });

  it('closest: the same answers as before on typos', () => {
    expect(closest('lognormall', ['normal', 'lognormal', 'logitnormal'])).toBe('lognormal');
    expect(closest('theat1', ['theta1', 'theta2'])).toBe('theta1');
    expect(closest('xy', ['ab', 'xz'])).toBe('xz');
    expect(closest('abcdef', ['uvwxyz'])).toBeUndefined();
  });

  it('a 10,000- and a 40,000-character name with a typo: compiled in well under a second, the suggestion kept', () => {
    for (const [file, n] of [['longname-10000-slow.nlm', 10_000], ['longname-40000-oom.nlm', 40_000]] as const) {
      const source = readFileSync(fileURLToPath(new URL(`../fixtures/repro/fuzz/${file}`, import.meta.url)), 'utf8');
      const t0 = performance.now();
      const r = compile(source);
      expect(performance.now() - t0).toBeLessThan(1000);
      const e201 = r.diagnostics.find((d) => d.code === 'E201')!;
      expect(e201.message).toMatch(new RegExp(`did you mean 'a{${n}}'\\?$`));
    }
    // The long-word path itself: 50,000 characters, one substitution.
    const long = 'b'.repeat(50_000);
    const t0 = performance.now();
    expect(closest(`${long.slice(0, 25_000)}c${long.slice(25_001)}`, [long, `${long}x`.repeat(2)])).toBe(long);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});
