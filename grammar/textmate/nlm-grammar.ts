/**
 * The TextMate grammar of `.nlm` (editor highlighting without a language server), built from the lexer's own token
 * definitions (`grammar/tokens.ts`) and the built-in table, so that the two cannot drift: `npm run gen:textmate`
 * writes `nlm.tmLanguage.json`, and a test fails when the committed file differs from what this builds or when the
 * grammar and the lexer disagree on any token of the example models.
 */
import type { TokenType } from 'chevrotain';
import { builtins, macros, specialForms } from '../../stdlib/builtins.js';
import * as T from '../tokens.js';

/** TextMate scope of each keyword; every keyword of the lexer must have one (checked below and by a test). */
export const keywordScopes: Readonly<Record<string, string>> = {
  model: 'keyword.other.model.nlm',
  covariates: 'keyword.other.block.nlm',
  constants: 'keyword.other.block.nlm',
  parameters: 'keyword.other.block.nlm',
  states: 'keyword.other.block.nlm',
  ode: 'keyword.other.block.nlm',
  dosing: 'keyword.other.block.nlm',
  observe: 'keyword.other.block.nlm',
  error: 'keyword.other.block.nlm',
  fixed: 'storage.modifier.fixed.nlm',
  in: 'keyword.control.nlm',
  if: 'keyword.control.conditional.nlm',
  then: 'keyword.control.conditional.nlm',
  else: 'keyword.control.conditional.nlm',
  piecewise: 'keyword.control.conditional.nlm',
  otherwise: 'keyword.control.conditional.nlm',
  sum: 'keyword.control.nlm',
  and: 'keyword.operator.logical.nlm',
  or: 'keyword.operator.logical.nlm',
  not: 'keyword.operator.logical.nlm',
  input: 'keyword.other.dosing.nlm',
  dose: 'keyword.other.dosing.nlm',
  at: 'keyword.other.dosing.nlm',
};

/** Scopes of the operator and punctuation tokens, by token name. */
export const symbolScopes: Readonly<Record<string, string>> = {
  Arrow: 'keyword.operator.arrow.nlm',
  LessEq: 'keyword.operator.comparison.nlm',
  GreaterEq: 'keyword.operator.comparison.nlm',
  EqEq: 'keyword.operator.comparison.nlm',
  NotEq: 'keyword.operator.comparison.nlm',
  Less: 'keyword.operator.comparison.nlm',
  Greater: 'keyword.operator.comparison.nlm',
  Equals: 'keyword.operator.assignment.nlm',
  Tilde: 'keyword.operator.distributed.nlm',
  Plus: 'keyword.operator.arithmetic.nlm',
  Minus: 'keyword.operator.arithmetic.nlm',
  Star: 'keyword.operator.arithmetic.nlm',
  Slash: 'keyword.operator.arithmetic.nlm',
  Caret: 'keyword.operator.arithmetic.nlm',
  LParen: 'punctuation.section.parens.begin.nlm',
  RParen: 'punctuation.section.parens.end.nlm',
  LBrace: 'punctuation.section.block.begin.nlm',
  RBrace: 'punctuation.section.block.end.nlm',
  LBracket: 'punctuation.section.brackets.begin.nlm',
  RBracket: 'punctuation.section.brackets.end.nlm',
  Comma: 'punctuation.separator.comma.nlm',
  Colon: 'punctuation.separator.colon.nlm',
  Semicolon: 'punctuation.terminator.nlm',
};

/** Words that are names to the lexer but have a meaning by position; highlighted as such (semantic tokens refine this). */
const distributions = ['normal', 'lognormal', 'logitnormal', 'probitnormal'];
const positionalFunctions = ['constant', 'proportional', 'combined1', 'combined2', 'combined', 'effect', 'lag', 'bioavailability', 'duration', 'rate', 'cmt', 'censored', 'dvid'];

const word = '(?<![A-Za-z0-9_])';
const end = '(?![A-Za-z0-9_])';
const source = (t: TokenType): string => {
  const p = t.PATTERN;
  if (!(p instanceof RegExp)) throw new Error(`token ${t.name} has no regular expression`);
  return p.source;
};
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

export interface TmRule {
  readonly name?: string;
  readonly match?: string;
  readonly captures?: Record<string, { name: string }>;
  readonly include?: string;
}

export interface TmGrammar {
  readonly $schema: string;
  readonly name: string;
  readonly scopeName: string;
  readonly fileTypes: readonly string[];
  readonly comment: string;
  readonly patterns: readonly TmRule[];
  readonly repository: Record<string, { patterns: TmRule[] }>;
}

export function buildGrammar(): TmGrammar {
  const keywords = T.keywordTokens.map((t) => String(t.LABEL).slice(1, -1));
  const missing = keywords.filter((k) => !keywordScopes[k]);
  if (missing.length > 0) throw new Error(`keywords without a TextMate scope: ${missing.join(', ')}`);
  const byScope = new Map<string, string[]>();
  for (const k of keywords.filter((k) => k !== 'model')) byScope.set(keywordScopes[k]!, [...(byScope.get(keywordScopes[k]!) ?? []), k]);
  const symbols = T.allTokens.filter((t) => symbolScopes[t.name]);
  const functions = [...builtins.keys(), ...macros.keys(), ...specialForms.keys()].sort((a, b) => b.length - a.length || a.localeCompare(b));
  const name = source(T.Identifier);
  // The model's name: a name the lexer does not read as a keyword or `d/dt`.
  const notKeyword = `(?!(?:${keywords.join('|')})${end})(?!${source(T.DDt)})`;
  return {
    $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
    name: 'nlm',
    scopeName: 'source.nlm',
    fileTypes: ['nlm'],
    comment: 'Generated by grammar/textmate/generate.ts from grammar/tokens.ts and stdlib/builtins.ts; do not edit.',
    patterns: [
      { include: '#comments' }, { include: '#strings' }, { include: '#header' }, { include: '#keywords' }, { include: '#names' },
      { include: '#numbers' }, { include: '#operators' },
    ],
    repository: {
      comments: {
        patterns: [
          { name: 'comment.line.number-sign.nlm', match: source(T.Comment) },
          { name: 'invalid.illegal.comment.nlm', match: source(T.PercentComment) },
        ],
      },
      strings: {
        patterns: [
          { name: 'string.quoted.double.nlm', match: source(T.StringLiteral) },
          { name: 'invalid.illegal.string.nlm', match: source(T.UnterminatedString) },
          { name: 'invalid.illegal.string.nlm', match: source(T.SingleQuotedString) },
        ],
      },
      header: {
        patterns: [{ match: `${word}(model)${end}\\s+${notKeyword}(${name})`, captures: { 1: { name: keywordScopes['model']! }, 2: { name: 'entity.name.type.model.nlm' } } }],
      },
      keywords: {
        patterns: [
          { name: 'keyword.other.derivative.nlm', match: `${word}${source(T.DDt)}` },
          { name: keywordScopes['model']!, match: `${word}model${end}` },
          ...[...byScope].map(([scope, words]) => ({ name: scope, match: `${word}(?:${words.join('|')})${end}` })),
        ],
      },
      names: {
        patterns: [
          // A number run into a name; never inside a name, which the name rule consumes from its first letter.
          { name: 'invalid.illegal.name.nlm', match: `(?>${source(T.NumberLiteral)})${name}` },
          { name: 'support.function.builtin.nlm', match: `${word}(?:${functions.map(escape).join('|')})(?=\\s*\\()` },
          { name: 'support.type.distribution.nlm', match: `${word}(?:${distributions.join('|')})${end}` },
          { name: 'support.function.nlm', match: `${word}(?:${positionalFunctions.join('|')})(?=\\s*\\()` },
          { name: 'variable.other.nlm', match: `${word}${name}` },
        ],
      },
      numbers: {
        patterns: [{ name: 'constant.numeric.nlm', match: source(T.NumberLiteral) }],
      },
      operators: {
        patterns: symbols.map((t) => ({ name: symbolScopes[t.name]!, match: source(t) })),
      },
    },
  };
}

/** The grammar file's text. */
export function grammarJson(): string {
  return `${JSON.stringify(buildGrammar(), null, 2)}\n`;
}
