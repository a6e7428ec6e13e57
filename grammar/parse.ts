/**
 * Stage 1: source text → AST plus syntax diagnostics. Lexing and parsing both recover, so one run reports every
 * syntax error it can find and still returns an AST of what it understood.
 */
import type { IRecognitionException, IToken, TokenType } from 'chevrotain';
import { diagnostic, sortDiagnostics, type Diagnostic, type Fix } from '../diagnostics/diagnostic.js';
import type { Range } from '../diagnostics/source-range.js';
import { closest } from '../diagnostics/suggest.js';
import type { ModelAst } from './ast.js';
import type { ModelCstNode } from './cst.generated.js';
import { cstToAst, tokenRange } from './cst-to-ast.js';
import { nlmParser } from './parser.js';
import { EXPECTED_MARK, describeExpected, describeToken, specificMessage } from './syntax-messages.js';
import { allTokens, keywordTokens, nlmLexer } from './tokens.js';

export interface ParseResult {
  readonly ast: ModelAst;
  readonly diagnostics: readonly Diagnostic[];
  /** All tokens, comments included, in source order: the language server's semantic tokens read these. */
  readonly tokens: readonly IToken[];
}

/** Characters people bring from other languages, and what to write in `.nlm`. */
const characterHints: Record<string, string> = {
  '&': "write 'and'",
  '|': "write 'or'",
  '!': "write 'not' (or '!=' for inequality)",
  "'": 'strings use double quotes',
  '%': "there is no modulo; comments start with '#'",
  '$': 'names are letters, digits and underscores',
  '@': 'names are letters, digits and underscores',
};

function lexDiagnostics(errors: readonly { offset: number; line?: number; column?: number; length: number }[], source: string): Diagnostic[] {
  return errors.map((e) => {
    const ch = source.slice(e.offset, e.offset + e.length);
    const line = e.line ?? 1;
    const column = e.column ?? 1;
    const range: Range = { start: { line, column, offset: e.offset }, end: { line, column: column + e.length, offset: e.offset + e.length } };
    const first = ch.charAt(0);
    const hint = characterHints[first];
    return diagnostic('E100', range, `unexpected character '${first}'${hint ? `: ${hint}` : ''}`);
  });
}

/** Where the error is shown: the offending token, or just after the previous one when the file ended. */
function errorRange(tok: IToken, previous: IToken | undefined, source: string): Range {
  if (tok.tokenType.name !== 'EOF' && Number.isFinite(tok.startOffset)) return tokenRange(tok);
  if (previous && Number.isFinite(previous.startOffset)) {
    const end = tokenRange(previous).end;
    return { start: end, end };
  }
  const lines = source.split('\n');
  const end = { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1, offset: source.length };
  return { start: end, end };
}

const keywordWords = keywordTokens.map((t) => String(t.LABEL).slice(1, -1));

function syntaxDiagnostic(err: IRecognitionException, source: string): Diagnostic {
  const tok = err.token;
  const previous = (err as IRecognitionException & { previousToken?: IToken }).previousToken;
  const ruleStack = err.context.ruleStack;
  const rule = ruleStack[ruleStack.length - 1] ?? 'model';
  const expected = expectedTokens(err);
  const range = errorRange(tok, previous, source);
  const specific = specificMessage({ rule, ruleStack, token: tok, previous, expected });
  const expectedText = formatExpected(expected);
  let message = specific ?? `expected ${expectedText}, found ${describeToken(tok)}`;
  let fix: Fix | undefined;
  if (tok.tokenType.name === 'Identifier') {
    const words = expected.filter((t) => t.name.startsWith('Kw_')).map((t) => String(t.LABEL).slice(1, -1));
    const guess = closest(tok.image, words.length > 0 ? words : rule === 'block' || rule === 'model' ? keywordWords : []);
    if (guess) {
      message += `; did you mean '${guess}'?`;
      fix = { title: `Change to '${guess}'`, range, newText: guess };
    }
  }
  return diagnostic('E101', range, message, fix ? { fix } : {});
}

/** The token types that would have been accepted, recovered from Chevrotain's exception. */
function expectedTokens(err: IRecognitionException): TokenType[] {
  const fromMessage = (err as IRecognitionException & { expectedTokens?: TokenType[] }).expectedTokens;
  return fromMessage ?? [];
}

function formatExpected(expected: readonly TokenType[]): string {
  const names = new Set(expected.map((t) => t.name));
  if (names.has('NumberLiteral') && names.has('Identifier') && names.has('LParen')) return 'an expression';
  const words = [...new Set(expected.map(describeExpected))];
  if (words.length === 0) return 'something else';
  if (words.length === 1) return words[0]!;
  if (words.length > 8) return `${words.slice(0, 8).join(', ')}, …`;
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

const tokenTypesByName = new Map<string, TokenType>(allTokens.map((t) => [t.name, t]));

function decodeExpected(err: IRecognitionException, rule: string): TokenType[] {
  const names = err.message.startsWith(EXPECTED_MARK) ? err.message.slice(EXPECTED_MARK.length).split(',').filter(Boolean) : [];
  if (err.name === 'NotAllInputParsedException' || rule === 'model') names.splice(0, names.length, 'Kw_covariates', 'Kw_constants', 'Kw_parameters', 'Kw_states', 'Kw_ode', 'Kw_dosing', 'Kw_observe', 'Kw_error');
  return names.map((n) => tokenTypesByName.get(n)).filter((t): t is TokenType => t !== undefined);
}

const blockKeywordTypes = new Map<string, TokenType>(
  keywordTokens.filter((t) => ['covariates', 'constants', 'parameters', 'states', 'ode', 'dosing', 'observe', 'error'].includes(String(t.LABEL).slice(1, -1))).map((t) => [String(t.LABEL).slice(1, -1), t]),
);
const blockList = 'covariates, constants, parameters, states, ode, dosing, observe or error';

/**
 * Top-level repair before parsing: a misspelled block name followed by '{' is reported once and read as the block
 * it was meant to be, so the declarations inside are not lost (and cause no follow-on "unknown name" errors).
 * An unknown word that resembles no block is reported and its block skipped.
 */
function repairBlockNames(tokens: IToken[], diagnostics: Diagnostic[]): IToken[] {
  const out: IToken[] = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    const name = tok.tokenType.name;
    if (name === 'LBrace') depth++;
    if (name === 'RBrace') depth = Math.max(0, depth - 1);
    if (depth === 0 && name === 'Identifier' && tokens[i + 1]?.tokenType.name === 'LBrace') {
      const range = tokenRange(tok);
      const guess = closest(tok.image, blockKeywordTypes.keys());
      if (guess) {
        diagnostics.push(diagnostic('E101', range, `unknown block '${tok.image}'; did you mean '${guess}'?`, { fix: { title: `Change to '${guess}'`, range, newText: guess } }));
        out.push({ ...tok, tokenType: blockKeywordTypes.get(guess)!, tokenTypeIdx: blockKeywordTypes.get(guess)!.tokenTypeIdx! });
        continue;
      }
      diagnostics.push(diagnostic('E101', range, `unknown block '${tok.image}': expected ${blockList}`));
      let j = i + 1;
      let d = 0;
      for (; j < tokens.length; j++) {
        const n = tokens[j]!.tokenType.name;
        if (n === 'LBrace') d++;
        if (n === 'RBrace' && --d === 0) break;
      }
      i = j;
      continue;
    }
    out.push(tok);
  }
  return out;
}

/** Parses a whole model. Never throws on user input. */
export function parseModel(source: string): ParseResult {
  const lexed = nlmLexer.tokenize(source);
  const diagnostics: Diagnostic[] = lexDiagnostics(lexed.errors, source);
  let input = repairBlockNames(lexed.tokens, diagnostics);
  nlmParser.input = input;
  const cst = nlmParser.model() as ModelCstNode;
  let errors = nlmParser.errors;
  // When the top level gives up, skip to the next block keyword and go on parsing blocks from there.
  for (;;) {
    for (const err of errors) {
      if (err.name === 'NotAllInputParsedException' && diagnostics.length > 0 && err.token.tokenType.name === 'RBrace') continue;
      const rule = err.context.ruleStack[err.context.ruleStack.length - 1] ?? 'model';
      (err as IRecognitionException & { expectedTokens?: TokenType[] }).expectedTokens = decodeExpected(err, rule);
      diagnostics.push(syntaxDiagnostic(err, source));
    }
    const stop = errors.find((e) => e.name === 'NotAllInputParsedException');
    if (!stop) break;
    const at = input.indexOf(stop.token);
    const next = input.findIndex((t, k) => k > at && blockKeywordTypes.has(String(t.tokenType.LABEL ?? '').slice(1, -1)) && input[k + 1]?.tokenType.name === 'LBrace');
    if (at < 0 || next < 0) break;
    input = input.slice(next);
    nlmParser.input = input;
    const more = nlmParser.blocks() as { children: { block?: ModelCstNode['children']['block'] } };
    (cst.children.block ??= []).push(...(more.children.block ?? []));
    errors = nlmParser.errors;
  }
  const comments = lexed.groups['comments'] ?? [];
  const tokens = [...lexed.tokens, ...comments].sort((a, b) => a.startOffset - b.startOffset);
  return { ast: cstToAst(cst, comments, source), diagnostics: firstSyntaxErrorPerLine(diagnostics), tokens };
}

/** After a syntax error, recovery often trips again on the rest of the same line: only the first one there is news. */
function firstSyntaxErrorPerLine(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<number>();
  return sortDiagnostics(diagnostics).filter((d) => {
    if (d.code !== 'E101') return true;
    if (seen.has(d.range.start.line)) return false;
    seen.add(d.range.start.line);
    return true;
  });
}
