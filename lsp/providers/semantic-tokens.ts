/**
 * Semantic tokens: every token classified by what the checker made of it — a parameter, a covariate, a state, a
 * built-in function, a modifier word — so that themes can colour meaning, not just spelling.
 */
import { SemanticTokensBuilder, type SemanticTokens, type SemanticTokensLegend } from 'vscode-languageserver';
import type { SymbolKind } from '../../compiler/check/checked-model.js';
import { forEachExpr, modelExpressions } from '../../compiler/check/walk.js';
import type { Range } from '../../diagnostics/source-range.js';
import type { Argument, Modifier as AstModifier } from '../../grammar/ast.js';
import { builtins, macros, specialForms } from '../../stdlib/builtins.js';
import type { Analysis } from '../analysis.js';

export const tokenTypes = ['namespace', 'keyword', 'number', 'string', 'comment', 'operator', 'parameter', 'variable', 'property', 'function', 'enumMember'] as const;
export const tokenModifiers = ['declaration', 'readonly', 'defaultLibrary'] as const;
export const legend: SemanticTokensLegend = { tokenTypes: [...tokenTypes], tokenModifiers: [...tokenModifiers] };

type TokenType = (typeof tokenTypes)[number];
type Modifier = (typeof tokenModifiers)[number];

const symbolType: Record<SymbolKind, [TokenType, Modifier[]]> = {
  parameter: ['parameter', []],
  errorParameter: ['parameter', []],
  covariate: ['property', []],
  constant: ['variable', ['readonly']],
  state: ['variable', []],
  definition: ['variable', []],
  time: ['variable', ['defaultLibrary']],
  namedConstant: ['variable', ['readonly', 'defaultLibrary']],
};

const operators = new Set(['Arrow', 'LessEq', 'GreaterEq', 'EqEq', 'NotEq', 'Less', 'Greater', 'Equals', 'Tilde', 'Plus', 'Minus', 'Star', 'Slash', 'Caret']);
const errorModels = new Set(['constant', 'proportional', 'combined', 'combined1', 'combined2']);
const isFunction = (name: string): boolean => builtins.has(name) || macros.has(name) || specialForms.has(name);

export function semanticTokens(analysis: Analysis): SemanticTokens {
  const { ast, checked, tokens } = analysis.result;
  const classes = new Map<number, [TokenType, Modifier[]]>();
  const mark = (range: Range | undefined, type: TokenType, modifiers: Modifier[] = []): void => {
    if (range && !classes.has(range.start.offset)) classes.set(range.start.offset, [type, modifiers]);
  };
  if (checked) {
    for (const s of checked.symbols.values()) {
      const [type, mods] = symbolType[s.kind];
      if (s.declRange && analysis.text.slice(s.declRange.start.offset, s.declRange.end.offset) === s.name) mark(s.declRange, type, [...mods, 'declaration']);
    }
    for (const r of checked.references) {
      const [type, mods] = symbolType[r.kind];
      mark(r.range, type, mods);
    }
  }
  mark(ast.nameRange, 'namespace', ['declaration']);
  const argumentNames = (args: readonly Argument[] | undefined): void => {
    for (const a of args ?? []) if (a.nameRange && !checked?.symbols.has(a.name ?? '')) mark(a.nameRange, 'property');
  };
  const modifiers = (mods: readonly AstModifier[]): void => {
    for (const m of mods) {
      if (m.kind !== 'word') continue;
      mark(m.wordRange, 'keyword');
      argumentNames(m.args);
    }
  };
  for (const c of ast.covariates) modifiers(c.modifiers);
  for (const p of [...ast.parameters, ...ast.errorParameters]) modifiers(p.modifiers);
  for (const d of ast.dosing) {
    modifiers(d.modifiers);
    if (d.kind === 'input') mark(d.nameRange, 'enumMember', ['declaration']);
  }
  for (const o of ast.observations) {
    modifiers(o.modifiers);
    mark(o.nameRange, 'property', ['declaration']);
    if (o.dataTransform) mark(o.dataTransform.range, 'function', ['defaultLibrary']);
    mark(o.distributionRange, 'function', ['defaultLibrary']);
    argumentNames(o.args);
  }
  for (const root of modelExpressions(ast)) {
    forEachExpr(root, (e) => {
      if (e.kind === 'call') {
        mark(e.calleeRange, 'function', isFunction(e.callee) || errorModels.has(e.callee) ? ['defaultLibrary'] : []);
        argumentNames(e.args);
      } else if (e.kind === 'sum') {
        mark(e.variableRange, 'variable', ['declaration']);
      } else if (e.kind === 'name' && isFunction(e.name)) {
        mark(e.range, 'function', ['defaultLibrary']);
      }
    });
  }

  const builder = new SemanticTokensBuilder();
  for (const t of tokens) {
    const name = t.tokenType.name;
    let cls: [TokenType, Modifier[]] | undefined;
    if (name === 'Identifier' || name === 'InvalidName') cls = classes.get(t.startOffset) ?? ['variable', []];
    else if (name.startsWith('Kw_') || name === 'DDt') cls = ['keyword', []];
    else if (name === 'NumberLiteral') cls = ['number', []];
    else if (name === 'StringLiteral') cls = ['string', []];
    else if (name === 'Comment') cls = ['comment', []];
    else if (operators.has(name)) cls = ['operator', []];
    if (!cls || t.startLine === undefined || t.startColumn === undefined) continue;
    const length = (t.endOffset ?? t.startOffset) - t.startOffset + 1;
    let bits = 0;
    for (const m of cls[1]) bits |= 1 << tokenModifiers.indexOf(m);
    builder.push(t.startLine - 1, t.startColumn - 1, length, tokenTypes.indexOf(cls[0]), bits);
  }
  return builder.build();
}
