/**
 * Stage 1: source text → AST plus syntax diagnostics. Lexing and parsing both recover, so one run reports every
 * syntax error it can find and still returns an AST of what it understood.
 */
import type { ILexingError, IRecognitionException, IToken, TokenType } from 'chevrotain';
import { diagnostic, sortDiagnostics, type Diagnostic, type Fix } from '../diagnostics/diagnostic.js';
import { sourceLines, type Range } from '../diagnostics/source-range.js';
import { closest } from '../diagnostics/suggest.js';
import type { ModelAst } from './ast.js';
import type { ModelCstNode } from './cst.generated.js';
import { cstToAst, tokenRange, type ErrorPoint } from './cst-to-ast.js';
import { nlmParser } from './parser.js';
import { withoutStackTraces } from './recovery.js';
import { EXPECTED_MARK, blockList, describeExpected, describeToken, specificMessage } from './syntax-messages.js';
import { DDt, Equals, Identifier, Model, NumberLiteral, allTokens, keywordTokens, nlmLexer } from './tokens.js';

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

/**
 * How a character reads in a message: control, format and invisible space characters (a pasted no-break space, a
 * zero-width space, a stray escape code) are written as escapes, so the message shows what is there.
 */
function showCharacter(ch: string): string {
  if (!/^[\p{C}\p{Z}]$/u.test(ch)) return ch;
  const code = ch.codePointAt(0)!;
  return code > 0xffff ? `\\u{${code.toString(16).toUpperCase()}}` : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

function lexDiagnostics(errors: readonly ILexingError[], source: string): Diagnostic[] {
  return errors.map((e) => {
    const line = e.line ?? 1;
    const column = e.column ?? 1;
    const range: Range = { start: { line, column, offset: e.offset }, end: { line, column: column + e.length, offset: e.offset + e.length } };
    const first = String.fromCodePoint(source.codePointAt(e.offset) ?? 0xfffd);
    const shown = showCharacter(first);
    const hint = characterHints[first] ?? (shown === first ? undefined : /\p{Z}/u.test(first) ? 'a special space; type an ordinary one' : 'an invisible or control character; delete it');
    return diagnostic('E100', range, `unexpected character '${shown}'${hint ? `: ${hint}` : ''}`);
  });
}

/** The tokens of the 'invalid' group (see tokens.ts): each is one mistake, reported once. */
function invalidTokenDiagnostics(tokens: readonly IToken[]): Diagnostic[] {
  return tokens.map((t) => {
    const range = tokenRange(t);
    switch (t.tokenType.name) {
      case 'SingleQuotedString':
        return diagnostic('E100', range, `unexpected character ''': ${characterHints["'"]}`, { fix: { title: 'Use double quotes', range, newText: `"${t.image.slice(1, -1)}"` } });
      case 'PercentComment':
        return diagnostic('E100', range, `unexpected character '%': ${characterHints['%']}`);
      default:
        return diagnostic('E100', range, `unterminated string: close it with '"' on the same line`);
    }
  });
}

/**
 * Where the error is shown: the offending token; but when that token is on a later line than the previous one (a
 * missing ')' or value at the end of a line, a missing '}' before the next block), just after the previous token,
 * where the missing piece belongs. At the end of the file, after the last token.
 */
function errorRange(tok: IToken, previous: IToken | undefined, source: string): Range {
  const hasPrevious = previous !== undefined && Number.isFinite(previous.startOffset);
  const afterPrevious = (): Range => {
    const end = tokenRange(previous!).end;
    return { start: end, end };
  };
  if (tok.tokenType.name !== 'EOF' && Number.isFinite(tok.startOffset)) {
    if (hasPrevious && (tok.startLine ?? 0) > (previous.endLine ?? previous.startLine ?? 0)) return afterPrevious();
    return tokenRange(tok);
  }
  if (hasPrevious) return afterPrevious();
  const lines = sourceLines(source);
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
  // After the model's header only blocks may follow: that is what the top level expects when it stops early.
  if (err.name === 'NotAllInputParsedException' || (rule === 'model' && names.every((n) => n === 'EOF'))) names.splice(0, names.length, ...blockKeywordNames);
  return names.map((n) => tokenTypesByName.get(n)).filter((t): t is TokenType => t !== undefined);
}

const blockKeywordNames = ['Kw_covariates', 'Kw_constants', 'Kw_parameters', 'Kw_states', 'Kw_ode', 'Kw_dosing', 'Kw_observe', 'Kw_error'];

const blockKeywordTypes = new Map<string, TokenType>(
  keywordTokens.filter((t) => ['covariates', 'constants', 'parameters', 'states', 'ode', 'dosing', 'observe', 'error'].includes(String(t.LABEL).slice(1, -1))).map((t) => [String(t.LABEL).slice(1, -1), t]),
);

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

/** A block keyword followed by '{': where the top level can (re)start. */
function isBlockStart(tokens: readonly IToken[], k: number): boolean {
  return blockKeywordTypes.has(String(tokens[k]?.tokenType.LABEL ?? '').slice(1, -1)) && tokens[k + 1]?.tokenType.name === 'LBrace';
}

/**
 * Top-level repair before parsing: `dX/dt = ...` at the start of a statement in an ode block is the derivative written
 * as in a textbook. It is reported once and read as `d/dt X = ...`, so the state keeps its equation and nothing else
 * is reported.
 */
function repairDerivatives(tokens: readonly IToken[], diagnostics: Diagnostic[]): IToken[] {
  const out: IToken[] = [];
  let depth = 0;
  let block: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    const name = tok.tokenType.name;
    if (name === 'LBrace') {
      if (depth === 0) block = tokens[i - 1]?.tokenType.name;
      depth++;
    } else if (name === 'RBrace') {
      depth = Math.max(0, depth - 1);
    }
    const slash = tokens[i + 1];
    const dt = tokens[i + 2];
    const eq = tokens[i + 3];
    if (
      depth === 1 && block === 'Kw_ode' && tok.tokenType === Identifier && /^d[A-Za-z_]/.test(tok.image) && slash?.tokenType.name === 'Slash' &&
      dt?.tokenType === Identifier && dt.image === 'dt' && eq?.tokenType === Equals && atStatementStart(tokens[i - 1], tok)
    ) {
      const state = tok.image.slice(1);
      const range: Range = { start: tokenRange(tok).start, end: tokenRange(dt).end };
      diagnostics.push(diagnostic('E101', range, `a derivative is written 'd/dt ${state} = ...', found '${tok.image}/dt'`, { fix: { title: `Change to 'd/dt ${state}'`, range, newText: `d/dt ${state}` } }));
      out.push({ ...tok, image: 'd/dt', tokenType: DDt, tokenTypeIdx: DDt.tokenTypeIdx!, endOffset: tok.startOffset, endColumn: tok.startColumn });
      out.push({ ...tok, image: state, startOffset: tok.startOffset + 1, startColumn: (tok.startColumn ?? 1) + 1 });
      i += 2;
      continue;
    }
    out.push(tok);
  }
  return out;
}

/** Whether `tok` starts a statement: first in its block, after a separator, or first on its line. */
function atStatementStart(prev: IToken | undefined, tok: IToken): boolean {
  return !prev || ['LBrace', 'Semicolon', 'Comma'].includes(prev.tokenType.name) || (prev.endLine ?? 0) < (tok.startLine ?? 0);
}

const declarationBlocks = new Set(['Kw_parameters', 'Kw_error', 'Kw_constants', 'Kw_ode']);
const keywordTypes = new Set<TokenType>(keywordTokens);

/**
 * Top-level repair before parsing: a keyword that starts a declaration `word = ...` in a block of such declarations
 * (parameters, error, constants, ode) is read as the name it was meant to be, so the checker reports it once as a
 * reserved name (E202) and the declaration is not lost.
 */
function repairKeywordNames(tokens: readonly IToken[]): IToken[] {
  let depth = 0;
  let block: string | undefined;
  return tokens.map((tok, i) => {
    const name = tok.tokenType.name;
    if (name === 'LBrace') {
      if (depth === 0) block = tokens[i - 1]?.tokenType.name;
      depth++;
    } else if (name === 'RBrace') {
      depth = Math.max(0, depth - 1);
    }
    if (depth !== 1 || !block || !declarationBlocks.has(block) || !keywordTypes.has(tok.tokenType) || tokens[i + 1]?.tokenType !== Equals) return tok;
    return atStatementStart(tokens[i - 1], tok) ? { ...tok, tokenType: Identifier, tokenTypeIdx: Identifier.tokenTypeIdx! } : tok;
  });
}

/**
 * How deeply parentheses and brackets may nest. The parser is recursive descent, so pathological nesting would
 * overflow its stack; far below that, a human could no longer read the expression anyway.
 */
export const maxNesting = 64;

/**
 * Replaces each bracketed group nested deeper than `maxNesting` (from its outermost bracket, or the name it calls, to
 * the matching bracket, or to the end of the block if unclosed) by one placeholder token that the AST builder reads as
 * a missing expression, after reporting it.
 */
function limitNesting(tokens: readonly IToken[], diagnostics: Diagnostic[]): IToken[] {
  const out: IToken[] = [];
  const open: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    const name = tok.tokenType.name;
    if (name === 'LParen' || name === 'LBracket') {
      open.push(out.length);
      if (open.length > maxNesting) {
        // The group starts at its outermost bracket, or at the function or `sum`/`piecewise` that bracket calls.
        const outer = open[0]!;
        const callee = out[outer - 1]?.tokenType.name;
        const start = callee === 'Identifier' || callee === 'Kw_sum' || callee === 'Kw_piecewise' ? outer - 1 : outer;
        const first = out[start]!;
        let depth = open.length;
        let j = i + 1;
        for (; j < tokens.length && depth > 0; j++) {
          const n = tokens[j]!.tokenType.name;
          if (n === 'RBrace') break;
          if (n === 'LParen' || n === 'LBracket') depth++;
          if (n === 'RParen' || n === 'RBracket') depth--;
        }
        const last = tokens[j - 1]!;
        diagnostics.push(diagnostic('E101', tokenRange(first), 'this expression nests too deeply: split it into definitions'));
        out.length = start;
        out.push(placeholder(first, last));
        open.length = 0;
        i = j - 1;
        continue;
      }
    } else if (name === 'RParen' || name === 'RBracket') {
      open.pop();
    } else if (name === 'LBrace' || name === 'RBrace') {
      open.length = 0;
    }
    out.push(tok);
  }
  return out;
}

/**
 * How long a chain of right-nesting operators may be: `a ^ b ^ c …` (right-associative), prefix `-`, `+` and `not`
 * (each nests its operand), and `if … else if …` (each `if` sits in the branch of the one before). The parser
 * recurses once or twice per link, so thousands overflow its stack, which loses every other diagnostic of the file;
 * far below that, a chain is unreadable (else-if chains, which generated tables use, get more room).
 */
export const maxChain = 64;
export const maxIfChain = 256;

const prefixOperators = new Set(['Minus', 'Plus', 'Kw_not']);
/** Tokens after which `-`, `+` and `not` are prefix operators (no operand ends there). */
const operandExpected = new Set([
  'Equals', 'LParen', 'LBracket', 'Comma', 'Colon', 'Caret', 'Star', 'Slash', 'Plus', 'Minus', 'Less', 'LessEq', 'Greater', 'GreaterEq',
  'EqEq', 'NotEq', 'Kw_and', 'Kw_or', 'Kw_not', 'Kw_if', 'Kw_then', 'Kw_else', 'Tilde', 'Kw_at', 'Kw_in',
]);
/** Operators that bind looser than `^`: a power chain ends at them. */
const endsPowerChain = new Set(['Star', 'Slash', 'Plus', 'Minus', 'Less', 'LessEq', 'Greater', 'GreaterEq', 'EqEq', 'NotEq', 'Kw_and', 'Kw_or', 'Kw_then', 'Kw_else']);

const endsOperand = new Set(['Identifier', 'InvalidName', 'NumberLiteral', 'RParen', 'RBracket', 'StringLiteral', 'Kw_fixed']);
const startsOperand = new Set(['Identifier', 'InvalidName', 'NumberLiteral', 'Kw_input', 'Kw_dose']);

/**
 * Whether `tokens[i]` starts a statement of a block (read at bracket depth 0): `name =`, `d/dt`, a separator or a
 * brace, or an operand right after one (statements need no separators: an expression ends where the next token
 * cannot continue it, as in `X1(0) = 2  X2(0) = 3`).
 */
function startsStatement(tokens: readonly IToken[], i: number): boolean {
  const name = tokens[i]!.tokenType.name;
  if (name === 'DDt' || name === 'Semicolon' || name === 'LBrace' || name === 'RBrace') return true;
  if (tokens[i]!.tokenType === Identifier && tokens[i + 1]?.tokenType === Equals) return true;
  return startsOperand.has(name) && endsOperand.has(tokens[i - 1]?.tokenType.name ?? '');
}

/** The counts of one bracket level (the statement's own level is the first): chains so far, where its argument starts. */
interface ChainLevel {
  carets: number;
  ifs: number;
  /** Whether an expression is parsed here (see `limitChains`). */
  readonly expression: boolean;
  /** Index in the output of the first token of the current argument (after the bracket, ',' or ':'). */
  argumentStart: number;
}

const level = (argumentStart: number, expression = false): ChainLevel => ({ carets: 0, ifs: 0, expression, argumentStart });

/** Where a statement's value ends: the first token after `i` that starts a statement at `depth` 0, or a brace. */
function valueEnd(tokens: readonly IToken[], i: number, depth: number): number {
  let j = i + 1;
  for (; j < tokens.length; j++) {
    const n = tokens[j]!.tokenType.name;
    if (n === 'RBrace' || (depth <= 0 && startsStatement(tokens, j))) break;
    if (n === 'LParen' || n === 'LBracket') depth++;
    if (n === 'RParen' || n === 'RBracket') depth--;
  }
  return j;
}

/** Where a bracketed argument ends: its ',' or ':', the bracket that closes its list, or a brace. */
function argumentEnd(tokens: readonly IToken[], i: number): number {
  let depth = 0;
  let j = i + 1;
  for (; j < tokens.length; j++) {
    const n = tokens[j]!.tokenType.name;
    if (n === 'RBrace' || n === 'LBrace' || (depth === 0 && (n === 'Comma' || n === 'Colon' || n === 'RParen' || n === 'RBracket'))) break;
    if (n === 'LParen' || n === 'LBracket') depth++;
    if (n === 'RParen' || n === 'RBracket') depth--;
  }
  return j;
}

/** One token standing for the expression from `first` to `last`, which the AST builder reads as a missing expression. */
function placeholder(first: IToken, last: IToken): IToken {
  return {
    ...first, image: '0', tokenType: NumberLiteral, tokenTypeIdx: NumberLiteral.tokenTypeIdx!,
    endOffset: last.endOffset, endLine: last.endLine, endColumn: last.endColumn, isInsertedInRecovery: true,
  };
}

/**
 * Whether the bracket at `tokens[i]` opens the arguments of a modifier (`lognormal(omega = …)`, `lag(tlag)`): it
 * follows a word that comes after something else of its statement on the same line. Those arguments are expressions
 * outside a statement's value; `X(0)` in a states block or `correlation(CL, V)`, where the word starts its line, hold
 * no expression.
 */
function opensModifierArguments(tokens: readonly IToken[], i: number): boolean {
  const word = tokens[i - 1];
  const before = tokens[i - 2];
  return word?.tokenType === Identifier && before !== undefined && endsOperand.has(before.tokenType.name) && before.endLine === word.startLine;
}

/** Tokens after which the rest of a statement at its own level is an expression: a definition's `=`, `~`, a dose's amount. */
const startsValue = new Set(['Equals', 'Tilde', 'Kw_dose']);

/**
 * Replaces each expression with a chain longer than `maxChain` (`maxIfChain` for else-ifs) by one placeholder token
 * that the AST builder reads as a missing expression, after reporting it: in a statement's value (after its `=`, `~`
 * or `dose`), from the start of the value to the end of the statement; in a modifier's arguments
 * (`lognormal(omega = …)`, `effect(…)`), from the start of the argument to its end. Those are where expressions are
 * parsed, and so nest; elsewhere (`X^X^…` where a state is declared, an `if` chain in `X(…)`) a chain is a plain
 * syntax error that recovery skips without recursion.
 */
function limitChains(tokens: readonly IToken[], diagnostics: Diagnostic[]): IToken[] {
  const out: IToken[] = [];
  let levels = [level(0)];
  let prefixRun = 0;
  let valueStart = -1;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    const name = tok.tokenType.name;
    // A brace ends the statement even inside an unclosed bracket (as in limitNesting).
    if ((levels.length === 1 && startsStatement(tokens, i)) || name === 'LBrace' || name === 'RBrace') {
      levels = [level(0)];
      prefixRun = 0;
      valueStart = -1;
    }
    const top = levels[levels.length - 1]!;
    const previous = out[out.length - 1]?.tokenType.name ?? 'LBrace';
    const prefix = prefixOperators.has(name) && operandExpected.has(previous);
    prefixRun = prefix ? prefixRun + 1 : 0;
    if (name === 'LParen' || name === 'LBracket') levels.push(level(out.length + 1, top.expression || opensModifierArguments(tokens, i)));
    else if ((name === 'RParen' || name === 'RBracket') && levels.length > 1) levels.pop();
    else if (name === 'Comma' || name === 'Colon') [top.carets, top.ifs, top.argumentStart] = [0, 0, out.length + 1];
    else if (name === 'Caret') top.carets++;
    else if (name === 'Kw_if') top.ifs++;
    else if (endsPowerChain.has(name) && !prefix) top.carets = 0;
    if (startsValue.has(name) && levels.length === 1 && valueStart < 0) valueStart = out.length + 1;
    const inValue = valueStart >= 0;
    if ((inValue || top.expression) && (top.carets > maxChain || top.ifs > maxIfChain || prefixRun > maxChain)) {
      const from = inValue ? valueStart : top.argumentStart;
      const j = inValue ? valueEnd(tokens, i, levels.length - 1) : argumentEnd(tokens, i);
      const first = out[from] ?? tok;
      diagnostics.push(diagnostic('E101', tokenRange(first), 'this expression nests too deeply: split it into definitions'));
      out.length = Math.min(from, out.length);
      out.push(placeholder(first, tokens[j - 1]!));
      if (inValue) {
        levels = [level(0)];
        valueStart = -1;
      } else {
        [top.carets, top.ifs] = [0, 0];
      }
      prefixRun = 0;
      i = j - 1;
      continue;
    }
    out.push(tok);
  }
  return out;
}

/** Parses the tokens into a model CST, reporting every syntax error and where it was found. */
function parseTokens(tokens: IToken[], source: string, diagnostics: Diagnostic[], errorPoints: ErrorPoint[]): ModelCstNode {
  let input = tokens;
  let cst: ModelCstNode;
  if (input[0]?.tokenType === Model) {
    nlmParser.input = input;
    cst = nlmParser.model() as ModelCstNode;
  } else {
    // No header: say so once, then read whatever blocks follow so that their mistakes are still found.
    const first = input[0];
    const range = first ? tokenRange(first) : errorRange({ tokenType: { name: 'EOF' } } as IToken, undefined, source);
    diagnostics.push(diagnostic('E101', range, `a model file starts with 'model <name>', found ${first ? describeToken(first) : 'the end of the file'}`));
    const start = input.findIndex((_, k) => isBlockStart(input, k));
    input = start < 0 ? [] : input.slice(start);
    nlmParser.input = input;
    const blocks = nlmParser.blocks() as { children: { block?: ModelCstNode['children']['block'] } };
    cst = { name: 'model', children: { block: blocks.children.block ?? [] } } as unknown as ModelCstNode;
  }
  let errors = nlmParser.errors;
  // When the top level gives up, skip to the next block keyword and go on parsing blocks from there.
  for (;;) {
    for (const err of errors) {
      if (Number.isFinite(err.token.startOffset)) errorPoints.push({ offset: err.token.startOffset, line: err.token.startLine ?? 0, parser: true });
      if (err.name === 'NotAllInputParsedException' && diagnostics.length > 0 && err.token.tokenType.name === 'RBrace') continue;
      const rule = err.context.ruleStack[err.context.ruleStack.length - 1] ?? 'model';
      (err as IRecognitionException & { expectedTokens?: TokenType[] }).expectedTokens = decodeExpected(err, rule);
      diagnostics.push(syntaxDiagnostic(err, source));
    }
    const stop = errors.find((e) => e.name === 'NotAllInputParsedException');
    if (!stop) break;
    const at = input.indexOf(stop.token);
    const next = input.findIndex((_, k) => k > at && isBlockStart(input, k));
    if (at < 0 || next < 0) break;
    input = input.slice(next);
    nlmParser.input = input;
    const more = nlmParser.blocks() as { children: { block?: ModelCstNode['children']['block'] } };
    (cst.children.block ??= []).push(...(more.children.block ?? []));
    errors = nlmParser.errors;
  }
  return cst;
}

/** The range of the first token of the line with the most tokens (the start of the file if there are none). */
function longestLine(tokens: readonly IToken[], source: string): Range {
  const perLine = new Map<number, IToken[]>();
  for (const t of tokens) {
    const line = t.startLine ?? 0;
    const list = perLine.get(line) ?? [];
    list.push(t);
    perLine.set(line, list);
  }
  let best: IToken | undefined;
  let most = 0;
  for (const list of perLine.values()) {
    if (list.length > most) {
      most = list.length;
      best = list[0];
    }
  }
  return best ? tokenRange(best) : errorRange({ tokenType: { name: 'EOF' } } as IToken, undefined, source);
}

/**
 * The names outside the statements that were read (except the model's own name), and the words swallowed by an
 * invalid token (an unterminated string or a `%` comment can hide a declaration).
 */
function unreadNames(tokens: readonly IToken[], invalid: readonly IToken[], read: readonly (readonly [number, number])[]): Set<string> {
  const names = new Set<string>(invalid.flatMap((t) => t.image.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []));
  const spans = [...read].sort((a, b) => a[0] - b[0]);
  let k = 0;
  tokens.forEach((t, i) => {
    if (t.tokenType !== Identifier || tokens[i - 1]?.tokenType === Model) return;
    while (k < spans.length && spans[k]![1] < t.startOffset) k++;
    const span = spans[k];
    if (!span || t.startOffset < span[0]) names.add(t.image);
  });
  return names;
}

/** Two token lists, each in source order, merged into one (in linear time: a file can hold 400,000 tokens). */
function inSourceOrder(a: readonly IToken[], b: readonly IToken[]): IToken[] {
  if (b.length === 0) return [...a];
  const out: IToken[] = [];
  let j = 0;
  for (const t of a) {
    while (j < b.length && b[j]!.startOffset < t.startOffset) out.push(b[j++]!);
    out.push(t);
  }
  while (j < b.length) out.push(b[j++]!);
  return out;
}

/** Parses a whole model. Never throws on user input. */
export function parseModel(source: string): ParseResult {
  const lexed = nlmLexer.tokenize(source);
  const invalid = lexed.groups['invalid'] ?? [];
  const diagnostics: Diagnostic[] = [...lexDiagnostics(lexed.errors, source), ...invalidTokenDiagnostics(invalid)];
  const errorPoints: ErrorPoint[] = [
    ...lexed.errors.map((e) => ({ offset: e.offset, line: e.line ?? 0, parser: false })),
    ...invalid.map((t) => ({ offset: t.startOffset, line: t.startLine ?? 0, parser: false })),
  ];
  const input = limitChains(limitNesting(repairDerivatives(repairKeywordNames(repairBlockNames(lexed.tokens, diagnostics)), diagnostics), diagnostics), diagnostics);
  const comments = lexed.groups['comments'] ?? [];
  const tokens = inSourceOrder(lexed.tokens, comments);
  let built: ReturnType<typeof cstToAst>;
  try {
    const cst = withoutStackTraces(() => parseTokens(input, source, diagnostics, errorPoints));
    built = cstToAst(cst, comments, source, errorPoints);
  } catch (e) {
    // Nesting other than brackets (thousands of chained '^', 'not' or 'else if') can still exhaust the stack of this
    // recursive-descent parser. Such an expression is the longest line of the file, most likely.
    if (!(e instanceof RangeError)) throw e;
    diagnostics.push(diagnostic('E101', longestLine(input, source), 'this expression nests too deeply: split it into definitions'));
    built = cstToAst({ name: 'model', children: { block: [] } } as unknown as ModelCstNode, comments, source);
  }
  const all = firstSyntaxErrorPerLine([...diagnostics, ...built.diagnostics]);
  const ast: ModelAst = all.length > 0 ? { ...built.ast, recovered: true, unreadNames: unreadNames(lexed.tokens, invalid, built.read) } : built.ast;
  return { ast, diagnostics: all, tokens };
}

/**
 * After a syntax error, recovery often trips again on the rest of the same line (and a parse error after an
 * unexpected character is its echo): only the first one there is news.
 */
function firstSyntaxErrorPerLine(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<number>();
  return sortDiagnostics(diagnostics).filter((d) => {
    if (d.code !== 'E101' && d.code !== 'E100') return true;
    if (seen.has(d.range.start.line)) return false;
    seen.add(d.range.start.line);
    return true;
  });
}
