/** The outline: the model, its blocks, and what each block declares. */
import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver';
import { span, type Range } from '../../diagnostics/source-range.js';
import type { BlockKind } from '../../grammar/ast.js';
import type { Analysis } from '../analysis.js';
import { toLspRange } from '../convert.js';

export function documentSymbols(analysis: Analysis): DocumentSymbol[] {
  const { ast } = analysis.result;
  const doc = analysis.document;
  const sym = (name: string, kind: SymbolKind, range: Range, selection: Range, detail?: string, children?: DocumentSymbol[]): DocumentSymbol => ({
    // The protocol wants the selection inside the range; recovery can leave odd ranges, so take both.
    name: name || '?', kind, range: toLspRange(doc, span(range, selection)), selectionRange: toLspRange(doc, selection),
    ...(detail ? { detail } : {}), ...(children ? { children } : {}),
  });
  const within = (b: { range: Range }, r: Range): boolean => b.range.start.offset <= r.start.offset && r.end.offset <= b.range.end.offset;
  const declarations: Record<BlockKind, (b: { range: Range }) => DocumentSymbol[]> = {
    covariates: (b) => ast.covariates.filter((c) => within(b, c.range)).map((c) => sym(c.name, SymbolKind.Field, c.range, c.nameRange, c.unit)),
    constants: (b) => ast.constants.filter((c) => within(b, c.range)).map((c) => sym(c.name, SymbolKind.Constant, c.range, c.nameRange, valueText(analysis, c.range, c.nameRange))),
    parameters: (b) => ast.parameters.filter((p) => within(b, p.range)).map((p) => sym(p.name, SymbolKind.Variable, p.range, p.nameRange, valueText(analysis, p.range, p.nameRange))),
    error: (b) => ast.errorParameters.filter((p) => within(b, p.range)).map((p) => sym(p.name, SymbolKind.Variable, p.range, p.nameRange, valueText(analysis, p.range, p.nameRange))),
    states: (b) => ast.states.filter((s) => within(b, s.range)).map((s) => sym(s.name, SymbolKind.Variable, s.range, s.nameRange, s.initial ? valueText(analysis, s.range, s.nameRange) : s.unit)),
    ode: (b) => ast.ode.filter((s) => within(b, s.range)).map((s) =>
      s.kind === 'derivative' ? sym(`d/dt ${s.state}`, SymbolKind.Method, s.range, s.stateRange) : sym(s.name, SymbolKind.Function, s.range, s.nameRange)),
    dosing: (b) => ast.dosing.filter((d) => within(b, d.range)).map((d) =>
      d.kind === 'input' ? sym(d.name, SymbolKind.Event, d.range, d.nameRange, `→ ${d.target}`) : sym(`dose → ${d.target}`, SymbolKind.Event, d.range, d.targetRange)),
    observe: (b) => ast.observations.filter((o) => within(b, o.range)).map((o) => sym(o.name, SymbolKind.Field, o.range, o.nameRange, o.distribution)),
  };
  const children = ast.blocks.map((b) => sym(b.kind, SymbolKind.Namespace, b.range, b.keywordRange, undefined, declarations[b.kind](b)));
  if (!ast.name) return children;
  const whole: Range = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: analysis.text.length } };
  return [sym(ast.name, SymbolKind.Module, whole, ast.nameRange, 'model', children)];
}

/** What follows a declaration's name, as written: `= 0.5  lognormal(omega = 0.5)`, `(0) = 2`. */
function valueText(analysis: Analysis, range: Range, nameRange: Range): string {
  return oneLine(analysis.text.slice(nameRange.end.offset, range.end.offset));
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 57)}…` : flat;
}
