/** What the cursor is on: a declared symbol (at its declaration or a use), a built-in function, or a named constant. */
import type { SymbolInfo } from '../compiler/check/checked-model.js';
import { forEachExpr, modelExpressions } from '../compiler/check/walk.js';
import type { Range } from '../diagnostics/source-range.js';
import { builtins, macros, namedConstants, specialForms } from '../stdlib/builtins.js';
import type { Analysis } from './analysis.js';
import { touches } from './convert.js';

export type Hit =
  | { readonly kind: 'symbol'; readonly symbol: SymbolInfo; readonly range: Range; readonly declaration: boolean }
  | { readonly kind: 'function'; readonly name: string; readonly range: Range }
  | { readonly kind: 'namedConstant'; readonly name: string; readonly range: Range };

export function symbolAt(analysis: Analysis, offset: number): Hit | undefined {
  const checked = analysis.result.checked;
  if (checked) {
    for (const r of checked.references) {
      if (!touches(r.range, offset)) continue;
      const symbol = checked.symbols.get(r.name);
      if (symbol) return { kind: 'symbol', symbol, range: r.range, declaration: false };
    }
    for (const symbol of checked.symbols.values()) {
      if (symbol.declRange && touches(symbol.declRange, offset)) return { kind: 'symbol', symbol, range: symbol.declRange, declaration: true };
    }
  }
  let found: Hit | undefined;
  for (const root of modelExpressions(analysis.result.ast)) {
    if (found) break;
    if (!touches(root.range, offset)) continue;
    forEachExpr(root, (e) => {
      if (found) return;
      if (e.kind === 'call' && touches(e.calleeRange, offset) && (builtins.has(e.callee) || macros.has(e.callee) || specialForms.has(e.callee))) {
        found = { kind: 'function', name: e.callee, range: e.calleeRange };
      } else if (e.kind === 'name' && touches(e.range, offset) && namedConstants.has(e.name) && !checked?.symbols.has(e.name)) {
        found = { kind: 'namedConstant', name: e.name, range: e.range };
      }
    });
  }
  return found;
}

/** Every range where a user symbol is written: its declaration (when its text is the name) and its uses. */
export function occurrences(analysis: Analysis, symbol: SymbolInfo, includeDeclaration: boolean): Range[] {
  const checked = analysis.result.checked;
  if (!checked) return [];
  const text = analysis.text;
  const isName = (r: Range): boolean => text.slice(r.start.offset, r.end.offset) === symbol.name;
  const out: Range[] = [];
  if (includeDeclaration && symbol.declRange && isName(symbol.declRange)) out.push(symbol.declRange);
  const seen = new Set<number>(out.map((r) => r.start.offset));
  for (const r of checked.references) {
    if (r.name !== symbol.name || seen.has(r.range.start.offset) || !isName(r.range)) continue;
    seen.add(r.range.start.offset);
    out.push(r.range);
  }
  return out.sort((a, b) => a.start.offset - b.start.offset);
}
