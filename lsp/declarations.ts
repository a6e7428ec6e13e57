/** The statement that declares a symbol, found by its name's range in the AST. */
import type { SymbolInfo } from '../compiler/check/checked-model.js';
import type { Range } from '../diagnostics/source-range.js';
import type { ModelAst } from '../grammar/ast.js';

export function declarationStatement(ast: ModelAst, symbol: SymbolInfo): Range | undefined {
  const at = symbol.declRange?.start.offset;
  if (at === undefined) return undefined;
  const decls: { nameRange: Range; range: Range }[] = [
    ...ast.parameters, ...ast.errorParameters, ...ast.covariates, ...ast.constants, ...ast.states,
    ...ast.ode.filter((s) => s.kind === 'definition'),
  ];
  const hit = decls.find((d) => d.nameRange.start.offset === at);
  if (hit) return hit.range;
  // An error parameter declared inline in an observation's error model.
  return ast.observations.find((o) => o.range.start.offset <= at && at < o.range.end.offset)?.range;
}
