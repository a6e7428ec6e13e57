/**
 * The TextMate grammar, run by the engine VS Code uses (vscode-textmate + vscode-oniguruma): it is the one generated
 * from the lexer's tokens, and on the example models and on random text it gives every character of every token the
 * scope that the lexer's reading of it calls for.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IToken } from 'chevrotain';
import { beforeAll, describe, expect, it } from 'vitest';
import type textmate from 'vscode-textmate';
import { grammarJson, keywordScopes, symbolScopes } from '../../grammar/textmate/nlm-grammar.js';
import { allTokens, keywordTokens, nlmLexer } from '../../grammar/tokens.js';
import { builtins } from '../../stdlib/builtins.js';
import { root } from './lsp-client.js';
import { random } from './random-edits.js';
import { loadGrammar, tokenize } from './textmate-fixture.js';

const examples = ['pk/pk.nlm', 'antibody/antibody.nlm', 'antibody/antibody-times.nlm', 'tgfb/tgfb.nlm', 'theophylline/theophylline.nlm'];
const read = (e: string): string => readFileSync(join(root, 'examples', e), 'utf8');

let grammar: textmate.IGrammar;
beforeAll(async () => {
  grammar = await loadGrammar();
});

/** The innermost scope of every character of `text`, by line. */
function scopeMap(text: string): string[][] {
  const lines = text.split(/\r?\n/);
  const map = lines.map((l) => Array.from({ length: l.length }, () => ''));
  for (const t of tokenize(grammar, text)) for (let c = t.start; c < t.end; c++) map[t.line]![c] = t.scope;
  return map;
}

/** Which scopes are right for a token of the lexer. */
function expectedScope(tok: IToken): (scope: string) => boolean {
  const name = tok.tokenType.name;
  if (name.startsWith('Kw_')) return (s) => s === keywordScopes[tok.image];
  if (name === 'DDt') return (s) => s === 'keyword.other.derivative.nlm';
  if (name === 'NumberLiteral') return (s) => s === 'constant.numeric.nlm';
  if (name === 'StringLiteral') return (s) => s === 'string.quoted.double.nlm';
  if (name === 'Comment') return (s) => s === 'comment.line.number-sign.nlm';
  if (name === 'InvalidName') return (s) => s === 'invalid.illegal.name.nlm';
  if (name === 'UnterminatedString' || name === 'SingleQuotedString') return (s) => s === 'invalid.illegal.string.nlm';
  if (name === 'PercentComment') return (s) => s === 'invalid.illegal.comment.nlm';
  if (name === 'Identifier') return (s) => ['variable.other.nlm', 'support.function.builtin.nlm', 'support.type.distribution.nlm', 'support.function.nlm', 'entity.name.type.model.nlm'].includes(s);
  if (symbolScopes[name]) return (s) => s === symbolScopes[name];
  throw new Error(`no expectation for ${name}`);
}

/** Every token of the lexer (comments and invalid ones included) whose scope disagrees, as readable strings. */
function disagreements(text: string): string[] {
  const lexed = nlmLexer.tokenize(text);
  const tokens = [...lexed.tokens, ...(lexed.groups['comments'] ?? []), ...(lexed.groups['invalid'] ?? [])];
  const scopes = scopeMap(text);
  const out: string[] = [];
  for (const t of tokens) {
    const ok = expectedScope(t);
    const line = (t.startLine ?? 1) - 1;
    for (let c = (t.startColumn ?? 1) - 1; c < (t.endColumn ?? 1); c++) {
      const s = scopes[line]?.[c] ?? '';
      if (!ok(s)) {
        out.push(`${t.tokenType.name} '${t.image}' at ${line + 1}:${c + 1} has scope '${s}'`);
        break;
      }
    }
  }
  return out;
}

describe('the grammar file', () => {
  it('is the one generated from the lexer (npm run gen:textmate)', () => {
    expect(readFileSync(join(root, 'grammar/textmate/nlm.tmLanguage.json'), 'utf8')).toBe(grammarJson());
  });

  it('has a scope for exactly the keywords of the lexer, and for every operator and bracket', () => {
    expect(Object.keys(keywordScopes).sort()).toEqual(keywordTokens.map((t) => String(t.LABEL).slice(1, -1)).sort());
    const symbols = allTokens.filter((t) => typeof t.PATTERN === 'object' && !t.GROUP && !/^(Kw_|Identifier|InvalidName|NumberLiteral|StringLiteral|DDt)/.test(t.name));
    expect(symbols.map((t) => t.name).sort()).toEqual(Object.keys(symbolScopes).sort());
  });
});

describe('highlighting the examples', () => {
  it.each(examples)('%s: every token gets the scope of its kind', (e) => {
    expect(disagreements(read(e))).toEqual([]);
  });

  it('gives keywords, numbers, comments, strings and names their scopes', () => {
    const text = read('theophylline/theophylline.nlm');
    const tokens = tokenize(grammar, text);
    const scopeOf = (word: string, line: number) => tokens.find((t) => t.text === word && t.line === line)?.scope;
    const lines = text.split('\n');
    const lineOf = (s: string) => lines.findIndex((l) => l.includes(s));
    expect(scopeOf('model', lineOf('model theophylline'))).toBe('keyword.other.model.nlm');
    expect(scopeOf('theophylline', lineOf('model theophylline'))).toBe('entity.name.type.model.nlm');
    expect(scopeOf('parameters', lineOf('parameters {'))).toBe('keyword.other.block.nlm');
    expect(scopeOf('input', lineOf('input oral'))).toBe('keyword.other.dosing.nlm');
    expect(scopeOf('d/dt', lineOf('d/dt depot'))).toBe('keyword.other.derivative.nlm');
    expect(scopeOf('0.04', lineOf('CL = 0.04'))).toBe('constant.numeric.nlm');
    expect(scopeOf('"L/h/kg"', lineOf('CL = 0.04'))).toBe('string.quoted.double.nlm');
    expect(scopeOf('# body weight', lineOf('WT "kg"'))).toBe('comment.line.number-sign.nlm');
    expect(scopeOf('CL', lineOf('CL = 0.04'))).toBe('variable.other.nlm');
    expect(scopeOf('lognormal', lineOf('CL = 0.04'))).toBe('support.type.distribution.nlm');
    expect(scopeOf('combined', lineOf('conc ~'))).toBe('support.function.nlm');
    expect(scopeOf('->', lineOf('input oral'))).toBe('keyword.operator.arrow.nlm');
    const tgfb = read('tgfb/tgfb.nlm');
    const t2 = tokenize(grammar, tgfb);
    const line = tgfb.split('\n').findIndex((l) => l.includes('challenge = sum'));
    expect(t2.find((t) => t.line === line && t.text === 'exp')?.scope).toBe('support.function.builtin.nlm');
    expect(t2.find((t) => t.line === line && t.text === 'sum')?.scope).toBe('keyword.control.nlm');
    expect(t2.find((t) => t.line === line && t.text === 'in')?.scope).toBe('keyword.control.nlm');
  });
});

describe('agreement with the lexer on random text', () => {
  it('classifies every token of 10000 random lines as the lexer does', () => {
    const rand = random(2024);
    const words = [
      ...keywordTokens.map((t) => String(t.LABEL).slice(1, -1)), ...builtins.keys(), 'hill', 'mlp', 'lognormal', 'normal', 'combined', 'lag', 'theta1', 'X', '_x', 'modelX', 'ifx',
      'd/dt', 'd/dtx', 'dX/dt', '1', '2.5', '.5', '1.', '1e5', '1E-3', '2.5e+7', '1ex', '2k', '1e5x', '3.x', '"mg"', '"open', "'q'", '%c', '# comment', '->', '<=', '>=', '==', '!=',
      '<', '>', '=', '~', '+', '-', '*', '/', '^', '(', ')', '{', '}', '[', ']', ',', ':', ';', '', ' ', '\t',
    ];
    const problems: string[] = [];
    for (let i = 0; i < 10000; i++) {
      let line = '';
      const n = 1 + Math.floor(rand() * 8);
      for (let k = 0; k < n; k++) line += words[Math.floor(rand() * words.length)]! + (rand() < 0.6 ? ' ' : '');
      problems.push(...disagreements(line).map((p) => `${JSON.stringify(line)}: ${p}`));
    }
    expect(problems.slice(0, 10)).toEqual([]);
  });
});
