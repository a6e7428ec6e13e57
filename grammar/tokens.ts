/**
 * The token vocabulary of `.nlm`.
 *
 * Only block names and a few structural words are hard keywords; words such as `lognormal`, `omega`,
 * `lag` or `rate` are ordinary identifiers whose meaning the checker gives them by position, so users
 * keep those names for their own symbols and misspellings get "did you mean" help instead of a parse error.
 * Keywords are declared with `longer_alt: Identifier` so `modelX` stays one identifier.
 */
import { createToken, Lexer, type TokenType } from 'chevrotain';

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/ });

function keyword(word: string): TokenType {
  return createToken({ name: `Kw_${word}`, pattern: new RegExp(`${word}(?![A-Za-z0-9_])`), longer_alt: Identifier, label: `'${word}'` });
}

export const Model = keyword('model');
export const Covariates = keyword('covariates');
export const Constants = keyword('constants');
export const Parameters = keyword('parameters');
export const States = keyword('states');
export const Ode = keyword('ode');
export const Dosing = keyword('dosing');
export const Observe = keyword('observe');
export const ErrorKw = keyword('error');
export const Fixed = keyword('fixed');
export const In = keyword('in');
export const If = keyword('if');
export const Then = keyword('then');
export const Else = keyword('else');
export const And = keyword('and');
export const Or = keyword('or');
export const Not = keyword('not');
export const Piecewise = keyword('piecewise');
export const Otherwise = keyword('otherwise');
export const Sum = keyword('sum');
export const Input = keyword('input');
export const Dose = keyword('dose');
export const At = keyword('at');

/** `d/dt` written without spaces introduces a state's derivative. */
export const DDt = createToken({ name: 'DDt', pattern: /d\/dt(?![A-Za-z0-9_])/, label: "'d/dt'" });

/**
 * A number run into a name (`2k`): one token, so the mistake is reported once as a misnamed name instead of as a
 * number followed by a stray name. It belongs to the Identifier category, so the parser reads it where a name goes
 * and the AST builder reports it. The number is matched greedily first, so `1e5` stays a number.
 */
const numberPrefix = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const nameRest = /[A-Za-z_][A-Za-z0-9_]*/y;
export const InvalidName = createToken({
  name: 'InvalidName',
  pattern: (text: string, offset: number) => {
    numberPrefix.lastIndex = offset;
    const n = numberPrefix.exec(text);
    if (!n) return null;
    nameRest.lastIndex = offset + n[0].length;
    if (!nameRest.exec(text)) return null;
    return [text.slice(offset, nameRest.lastIndex)] as unknown as RegExpExecArray;
  },
  line_breaks: false,
  start_chars_hint: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '.'],
  categories: [Identifier],
  label: 'a name',
});

export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/,
  label: 'a number',
});
/** A string stays on its line; a lone CR ends a line too (diagnostics/source-range.ts LINE_BREAK). */
export const StringLiteral = createToken({ name: 'StringLiteral', pattern: /"[^"\r\n]*"/, label: 'a string' });

export const Arrow = createToken({ name: 'Arrow', pattern: /->/, label: "'->'" });
export const LessEq = createToken({ name: 'LessEq', pattern: /<=/, label: "'<='" });
export const GreaterEq = createToken({ name: 'GreaterEq', pattern: />=/, label: "'>='" });
export const EqEq = createToken({ name: 'EqEq', pattern: /==/, label: "'=='" });
export const NotEq = createToken({ name: 'NotEq', pattern: /!=/, label: "'!='" });
export const Less = createToken({ name: 'Less', pattern: /</, label: "'<'" });
export const Greater = createToken({ name: 'Greater', pattern: />/, label: "'>'" });
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: "'='" });
export const Tilde = createToken({ name: 'Tilde', pattern: /~/, label: "'~'" });
export const Plus = createToken({ name: 'Plus', pattern: /\+/, label: "'+'" });
export const Minus = createToken({ name: 'Minus', pattern: /-/, label: "'-'" });
export const Star = createToken({ name: 'Star', pattern: /\*/, label: "'*'" });
export const Slash = createToken({ name: 'Slash', pattern: /\//, label: "'/'" });
export const Caret = createToken({ name: 'Caret', pattern: /\^/, label: "'^'" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const LBrace = createToken({ name: 'LBrace', pattern: /\{/, label: "'{'" });
export const RBrace = createToken({ name: 'RBrace', pattern: /\}/, label: "'}'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/, label: "']'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
export const Semicolon = createToken({ name: 'Semicolon', pattern: /;/, label: "';'" });

/**
 * Mistakes other languages teach, each read as one token of the 'invalid' group (the parser never sees them) so that
 * it is reported once, as a whole: a single-quoted string, a `%` comment, a string left open at the end of its line.
 */
export const SingleQuotedString = createToken({ name: 'SingleQuotedString', pattern: /'[^'\r\n]*'/, group: 'invalid' });
export const PercentComment = createToken({ name: 'PercentComment', pattern: /%[^\r\n]*/, group: 'invalid' });
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"[^"\r\n]*/, group: 'invalid' });

/** A UTF-8 byte-order mark some editors write at the start of a file: not part of the model. */
export const ByteOrderMark = createToken({
  name: 'ByteOrderMark',
  pattern: (text: string, offset: number) => (offset === 0 && text.charCodeAt(0) === 0xfeff ? (['\uFEFF'] as unknown as RegExpExecArray) : null),
  line_breaks: false,
  start_chars_hint: ['\uFEFF'],
  group: Lexer.SKIPPED,
});

/** Comments are kept in their own group so that doc comments can be attached to declarations. */
export const Comment = createToken({ name: 'Comment', pattern: /#[^\n\r]*/, group: 'comments' });
export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED });

export const keywordTokens: readonly TokenType[] = [
  Model, Covariates, Constants, Parameters, States, Ode, Dosing, Observe, ErrorKw, Fixed, In, If, Then, Else,
  And, Or, Not, Piecewise, Otherwise, Sum, Input, Dose, At,
];

/**
 * Order matters: `d/dt` before identifiers, keywords before identifiers, a number run into a name before numbers,
 * complete strings before unterminated ones, two-character operators first.
 */
export const allTokens: readonly TokenType[] = [
  ByteOrderMark, WhiteSpace, Comment, DDt, ...keywordTokens, Identifier, InvalidName, NumberLiteral, StringLiteral, UnterminatedString,
  SingleQuotedString, PercentComment,
  Arrow, LessEq, GreaterEq, EqEq, NotEq, Less, Greater, Equals, Tilde, Plus, Minus, Star, Slash, Caret,
  LParen, RParen, LBrace, RBrace, LBracket, RBracket, Comma, Colon, Semicolon,
];

export const nlmLexer = new Lexer(allTokens as TokenType[], { positionTracking: 'full', ensureOptimizations: false });

/** The words that are reserved: a user symbol may not be named like one. */
export const reservedWords: ReadonlySet<string> = new Set(keywordTokens.map((t) => String(t.LABEL).slice(1, -1)));
