/**
 * `correlation(a, b) = r` statements → blocks of correlated random effects.
 *
 * A block is a connected set of parameters linked by correlation statements; every pair inside a block must be
 * declared (the prior covariance of a block is full, and an undeclared pair would silently mean "estimated" or
 * "zero" — neither is what a reader of the file can see). The initial correlations of a block must form a positive
 * definite matrix. A block of more than two effects is fixed as a whole or not at all: its correlations are
 * estimated through the Cholesky factor's partial correlations, which do not map one-to-one onto single fixed
 * entries.
 */
import { diagnostic, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Range } from '../../diagnostics/source-range.js';
import { closest } from '../../diagnostics/suggest.js';
import type { CorrelationDecl } from '../../grammar/ast.js';
import type { CheckedCorrelation, CheckedParameter, Reference } from './checked-model.js';

const WORD = 'correlation';

/** `corr_CL_V`: the entry name of the correlation of two parameters (tables, overrides, start values), named in parameter order. */
export function correlationEntryName(first: string, second: string): string {
  return `corr_${first}_${second}`;
}

/** The checked correlations (pairs in declaration order, each with `first` before `second` in parameter order). */
export function checkCorrelations(decls: readonly CorrelationDecl[], parameters: readonly CheckedParameter[], diagnostics: Diagnostic[], references: Reference[]): CheckedCorrelation[] {
  const out: CheckedCorrelation[] = [];
  const seen = new Map<string, CorrelationDecl>();
  for (const d of decls) {
    if (d.word !== WORD) {
      if (d.word) diagnostics.push(diagnostic('E233', d.wordRange, `'${d.word}(${d.first}, ${d.second}) = …' is not a statement of the parameters block${d.word.length > 3 && closest(d.word, [WORD]) ? `; did you mean '${WORD}'?` : ''} (a correlation of two random effects is written correlation(CL, V) = 0.3)`));
      continue;
    }
    const a = effectParameter(d.first, d.firstRange, parameters, diagnostics);
    const b = effectParameter(d.second, d.secondRange, parameters, diagnostics);
    if (a >= 0) references.push({ name: d.first, kind: 'parameter', range: d.firstRange });
    if (b >= 0) references.push({ name: d.second, kind: 'parameter', range: d.secondRange });
    if (a < 0 || b < 0) continue;
    if (a === b) {
      diagnostics.push(diagnostic('E233', d.secondRange, `a correlation is between two different parameters; '${d.first}' is named twice`));
      continue;
    }
    const key = `${Math.min(a, b)},${Math.max(a, b)}`;
    const prior = seen.get(key);
    if (prior) {
      diagnostics.push(diagnostic('E233', d.range, `the correlation of '${d.first}' and '${d.second}' is declared twice`, { related: [{ range: prior.range, message: 'first declared here' }] }));
      continue;
    }
    seen.set(key, d);
    if (!(Math.abs(d.initial) < 1)) {
      if (!Number.isNaN(d.initial) || d.initialRange) diagnostics.push(diagnostic('E233', d.initialRange, `a correlation lies strictly between -1 and 1, found ${d.initial}`));
      continue;
    }
    const fixed = modifiersFixed(d, diagnostics);
    const [first, second] = a < b ? [a, b] : [b, a];
    out.push({ first, second, initial: d.initial, fixed, range: d.range });
  }
  checkBlocks(out, parameters, diagnostics);
  return out;
}

function effectParameter(name: string, range: Range, parameters: readonly CheckedParameter[], diagnostics: Diagnostic[]): number {
  if (!name) return -1;
  const k = parameters.findIndex((p) => p.name === name);
  if (k < 0) {
    const guess = closest(name, parameters.map((p) => p.name));
    diagnostics.push(diagnostic('E201', range, `'${name}' is not a parameter of this model${guess ? `; did you mean '${guess}'?` : ''}`));
    return -1;
  }
  if (!parameters[k]!.omega) {
    diagnostics.push(diagnostic('E233', range, `'${name}' has no random effect, so it has nothing to correlate: give it one (e.g. lognormal(omega = 0.3))`));
    return -1;
  }
  return k;
}

function modifiersFixed(d: CorrelationDecl, diagnostics: Diagnostic[]): boolean {
  let fixed = false;
  for (const m of d.modifiers) {
    if (m.kind === 'fixed') fixed = true;
    else diagnostics.push(diagnostic('E211', m.range, 'a correlation takes only `fixed`'));
  }
  return fixed;
}

/** Blocks (sets of parameter indices, ascending) of the checked correlations: connected components of the pairs. */
export function correlationBlocks(pairs: readonly { readonly first: number; readonly second: number }[]): number[][] {
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    while (parent.get(r)! !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  for (const p of pairs) {
    for (const x of [p.first, p.second]) if (!parent.has(x)) parent.set(x, x);
    parent.set(find(p.first), find(p.second));
  }
  const groups = new Map<number, number[]>();
  for (const x of [...parent.keys()].sort((u, v) => u - v)) groups.set(find(x), [...(groups.get(find(x)) ?? []), x]);
  return [...groups.values()];
}

function checkBlocks(pairs: readonly CheckedCorrelation[], parameters: readonly CheckedParameter[], diagnostics: Diagnostic[]): void {
  const byPair = new Map(pairs.map((p) => [`${p.first},${p.second}`, p]));
  for (const block of correlationBlocks(pairs)) {
    const names = block.map((k) => parameters[k]!.name);
    const members = pairs.filter((p) => block.includes(p.first));
    const at = members[0]!.range;
    const missing: string[] = [];
    for (let i = 0; i < block.length; i++) for (let j = i + 1; j < block.length; j++) if (!byPair.has(`${block[i]},${block[j]}`)) missing.push(`correlation(${names[i]}, ${names[j]}) = 0`);
    if (missing.length > 0) {
      diagnostics.push(diagnostic('E233', at, `${listNames(names)} form one block of correlated random effects, so every pair in it needs a correlation: add ${missing.join(', ')}`));
      continue;
    }
    const fixedCount = members.filter((m) => m.fixed).length;
    if (block.length > 2 && fixedCount > 0 && fixedCount < members.length) {
      diagnostics.push(diagnostic('E233', at, `the block ${listNames(names)} has some correlations fixed and some estimated; fix all of them or none (a block of three or more is estimated through partial correlations)`));
    }
    const R = block.map((a, i) => block.map((b, j) => (i === j ? 1 : byPair.get(`${Math.min(a, b)},${Math.max(a, b)}`)!.initial)));
    if (!positiveDefinite(R)) diagnostics.push(diagnostic('E233', at, `the initial correlations of ${listNames(names)} do not form a valid correlation matrix (it is not positive definite); start closer to 0`));
  }
}

const listNames = (names: readonly string[]): string => (names.length === 2 ? `${names[0]} and ${names[1]}` : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`);

function positiveDefinite(A: readonly (readonly number[])[]): boolean {
  const n = A.length;
  const L = A.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i]![j]!;
      for (let k = 0; k < j; k++) s -= L[i]![k]! * L[j]![k]!;
      if (i === j) {
        if (!(s > 1e-12)) return false;
        L[i]![i] = Math.sqrt(s);
      } else L[i]![j] = s / L[j]![j]!;
    }
  }
  return true;
}
