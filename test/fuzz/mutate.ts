/**
 * Mutated models for fuzzing the front end: the example models with tokens deleted, inserted, duplicated or swapped,
 * random bytes (control characters, invisible spaces, lone surrogates), long names, deep nesting, extreme numbers
 * and truncation. Input i of seed s is a pure function of (s, i), so a failure is reproduced from the two numbers
 * alone. The tokenizer here is a rough regular expression of its own, not the lexer under test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** mulberry32: a small seeded generator, enough to spread mutations. */
export class FuzzRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The example models, the corpus every input starts from. */
export function exampleModels(): { name: string; source: string }[] {
  const dir = join(root, 'examples');
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.nlm'))
    .sort()
    .map((f) => ({ name: f, source: readFileSync(join(dir, f), 'utf8') }));
}

const tokenPattern = /[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|"[^"\n]*"|#[^\n]*|\s+|d\/dt|->|[<>=!]=|[\s\S]/g;

const vocabulary = [
  'model', 'parameters', 'states', 'ode', 'observe', 'error', 'covariates', 'constants', 'dosing', 'input', 'dose', 'at',
  'if', 'then', 'else', 'and', 'or', 'not', 'piecewise', 'otherwise', 'sum', 'in', 'fixed', 'lognormal', 'normal', 'logit',
  'omega', 'sd', 'combined', 'mlp', 'exp', 'log', 'sqrt', 't', 'd/dt', '->', '~', '=', '==', '!=', '<=', '>=', '<', '>',
  '(', ')', '{', '}', '[', ']', ',', ';', ':', '+', '-', '*', '/', '^', '0', '1', '2.5', '-1', '1e-3', '"mg"', '#', '\n', ' ',
];

const oddCharacters = [
  '\u0000', '\u001b', '\r', '\t', '\v', '\f', '\u00a0', '\u200b', '\ufeff', '\u2028', 'é', 'λ', '\ud83d\ude00', '\ud800', '\udfff',
  '&', '|', '!', "'", '%', '$', '@', '`', '\\', '"', '?',
];

const extremeNumbers = ['1e309', '1e-400', '0x1F', '00012', '1.2.3', '1e', '.5e+', '9'.repeat(400), '0.' + '0'.repeat(500) + '1', '-0', '1_000'];

type Tokens = string[];

const isWord = (s: string): boolean => /^[A-Za-z_]/.test(s);
const isSpace = (s: string): boolean => /^\s+$/.test(s);
const someIndex = (r: FuzzRandom, tokens: Tokens, want: (s: string) => boolean = (s) => !isSpace(s)): number | undefined => {
  const candidates = tokens.flatMap((t, i) => (want(t) ? [i] : []));
  return candidates.length > 0 ? r.pick(candidates) : undefined;
};

function randomName(r: FuzzRandom, length: number): string {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_';
  let s = letters[r.int(letters.length)]!;
  while (s.length < length) s += letters[r.int(letters.length)]!;
  return s;
}

/**
 * How large the pathological mutations get: 'full' (the bench) nests up to 2,000 deep and writes names of up to
 * 20,000 characters; 'suite' stops at 300 and 1,000, which keeps the suite's share fast (the large sizes have their
 * own tests: test/grammar/recovery-scale, limits and suggest-bounded).
 */
export type FuzzScale = 'full' | 'suite';

const sizes: Record<FuzzScale, { nesting: readonly number[]; names: readonly number[] }> = {
  full: { nesting: [10, 70, 300, 2000], names: [256, 1000, 5000, 20000] },
  suite: { nesting: [10, 70, 300], names: [64, 256, 1000] },
};

/** The mutation operators: each edits the token list in place. */
const operators: Record<string, (r: FuzzRandom, tokens: Tokens, scale: FuzzScale) => void> = {
  delete(r, tokens) {
    const i = someIndex(r, tokens);
    if (i !== undefined) tokens.splice(i, 1 + (r.next() < 0.2 ? r.int(6) : 0));
  },
  insert(r, tokens) {
    const words = tokens.filter(isWord);
    const token = r.next() < 0.3 && words.length > 0 ? r.pick(words) : r.pick(vocabulary);
    tokens.splice(r.int(tokens.length + 1), 0, r.next() < 0.5 ? ` ${token} ` : token);
  },
  duplicate(r, tokens) {
    const i = someIndex(r, tokens);
    if (i === undefined) return;
    const n = 1 + (r.next() < 0.3 ? r.int(12) : 0);
    tokens.splice(i, 0, ...tokens.slice(i, i + n));
  },
  swap(r, tokens) {
    const i = someIndex(r, tokens);
    const j = someIndex(r, tokens);
    if (i !== undefined && j !== undefined) [tokens[i], tokens[j]] = [tokens[j]!, tokens[i]!];
  },
  bytes(r, tokens) {
    const n = 1 + r.int(8);
    const text = Array.from({ length: n }, () => (r.next() < 0.6 ? r.pick(oddCharacters) : String.fromCharCode(r.int(0x80)))).join('');
    tokens.splice(r.int(tokens.length + 1), 0, text);
  },
  longName(r, tokens, scale) {
    const i = someIndex(r, tokens, isWord);
    const length = r.pick(sizes[scale].names);
    if (i !== undefined) tokens[i] = r.next() < 0.5 ? randomName(r, length) : tokens[i]! + randomName(r, length);
  },
  deepNesting(r, tokens, scale) {
    const i = someIndex(r, tokens, (s) => isWord(s) || /^\d/.test(s));
    if (i === undefined) return;
    const x = tokens[i]!;
    const n = r.pick(sizes[scale].nesting);
    const shapes = [
      () => `${'('.repeat(n)}${x}${')'.repeat(r.next() < 0.8 ? n : r.int(n))}`,
      () => Array(n).fill(x).join('^'),
      () => `${'not '.repeat(n)}${x}`,
      () => `${'-'.repeat(n)}${x}`,
      () => `${'if t < 1 then 1 else '.repeat(Math.min(n, 500))}${x}`,
      () => Array(n).fill(x).join(' + '),
      () => `${'f('.repeat(n)}${x}${')'.repeat(n)}`,
      () => `${'['.repeat(n)}${x}${']'.repeat(n)}`,
    ];
    tokens[i] = r.pick(shapes)();
  },
  extremeNumber(r, tokens) {
    const i = someIndex(r, tokens, (s) => /^\d/.test(s));
    if (i !== undefined) tokens[i] = r.pick(extremeNumbers);
  },
  truncate(r, tokens) {
    tokens.length = r.int(tokens.length + 1);
  },
  duplicateLine(r, tokens) {
    const text = tokens.join('');
    const lines = text.split('\n');
    const k = r.int(lines.length);
    lines.splice(k, 0, ...Array(1 + r.int(3)).fill(lines[k]!));
    tokens.splice(0, tokens.length, ...lines.join('\n').match(tokenPattern)!);
  },
};

const operatorNames = Object.keys(operators);

/** Input `index` of `seed`: an example model with 1 to 3 mutations. Also says which, for the report of a failure. */
export function fuzzInput(corpus: readonly { name: string; source: string }[], seed: number, index: number, scale: FuzzScale = 'full'): { source: string; how: string } {
  const r = new FuzzRandom((Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0);
  const base = r.pick(corpus);
  const tokens = base.source.match(tokenPattern) ?? [];
  const applied: string[] = [];
  const n = 1 + r.int(3);
  for (let k = 0; k < n; k++) {
    const name = r.pick(operatorNames);
    operators[name]!(r, tokens, scale);
    applied.push(name);
  }
  return { source: tokens.join(''), how: `${base.name}: ${applied.join(', ')}` };
}
