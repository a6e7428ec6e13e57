/**
 * Hand-written texts for the common syntax mistakes (in the spirit of stanc3's parser.messages). Chevrotain's
 * own messages list token names; these say what to write instead. Each entry is pinned by a test in
 * test/grammar/bad.
 */
import type { IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';

/**
 * Chevrotain's message provider is the only hook that sees the expected tokens for every kind of error, so it
 * stashes their names in the message and the parse stage reads them back to build its own text.
 */
export const EXPECTED_MARK = '\u0000expected:';

export const expectedMarkingProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected }) => `${EXPECTED_MARK}${expected.name}`,
  buildNotAllInputParsedMessage: () => EXPECTED_MARK,
  buildNoViableAltMessage: ({ expectedPathsPerAlt }) =>
    `${EXPECTED_MARK}${expectedPathsPerAlt.flat().map((path) => path[0]?.name).filter(Boolean).join(',')}`,
  buildEarlyExitMessage: ({ expectedIterationPaths }) =>
    `${EXPECTED_MARK}${expectedIterationPaths.map((path) => path[0]?.name).filter(Boolean).join(',')}`,
};

/** What a syntax error knows: the rule being parsed, the offending token, the one before it, what would have fitted. */
export interface SyntaxContext {
  readonly rule: string;
  readonly ruleStack: readonly string[];
  readonly token: IToken;
  readonly previous: IToken | undefined;
  readonly expected: readonly TokenType[];
}

/** How a token reads in a message. */
export function describeToken(tok: IToken): string {
  if (tok.tokenType.name === 'EOF') return 'the end of the file';
  if (tok.tokenType.name === 'Identifier') return `'${tok.image}'`;
  if (tok.tokenType.name === 'NumberLiteral') return `the number ${tok.image}`;
  return `'${tok.image}'`;
}

/** How an expected token type reads in a message. */
export function describeExpected(t: TokenType): string {
  switch (t.name) {
    case 'Identifier':
      return 'a name';
    case 'NumberLiteral':
      return 'a number';
    default:
      return String(t.LABEL ?? t.name);
  }
}

/** The block keywords, for "expected a block" messages. */
export const blockList = 'covariates, constants, parameters, states, ode, dosing, observe or error';

const arithmeticOperators = ['+', '-', '*', '/', '^'];

/**
 * A specific explanation for a known mistake, or undefined to use the generic "expected …, found …".
 * (A file that does not start with `model <name>`, chained comparisons, `dX/dt`, `X(1) = …` and names starting with a
 * digit are recognised before or after parsing, in parse.ts and cst-to-ast.ts.)
 */
export function specificMessage(ctx: SyntaxContext): string | undefined {
  const { rule, token, previous } = ctx;
  const found = describeToken(token);
  const inRule = (r: string): boolean => ctx.ruleStack.includes(r);
  const expects = (name: string): boolean => ctx.expected.some((t) => t.name === name);
  if (rule === 'model' && previous?.tokenType.name === 'Kw_model' && expects('Identifier')) {
    return `expected the model's name after 'model', found ${found}`;
  }
  if (token.image === '=' && previous?.tokenType.name === 'NumberLiteral' && inRule('stateDecl')) {
    return "an initial condition is written 'X(0) = value'";
  }
  if (inRule('parameterDecl') && rule === 'signedNumber') {
    return `a parameter's initial value must be a number, found ${found}; write derived quantities as definitions in the ode block`;
  }
  if ((rule === 'parametersBlock' || rule === 'errorBlock') && arithmeticOperators.includes(token.image) && previous?.tokenType.name === 'NumberLiteral') {
    return `a parameter's initial value must be a number, found ${found}; write derived quantities as definitions in the ode block`;
  }
  if (inRule('definition') && token.image === '/' && previous && /^d[A-Za-z_]/.test(previous.image) && inRule('odeBlock')) {
    return `a derivative is written 'd/dt ${previous.image.slice(1)} = ...', found '${previous.image}/'`;
  }
  if (token.image === '==' && rule === 'definition') return "a definition uses '=', not '=='";
  if (inRule('observation') && rule === 'observation' && token.image === '=') return "an observation is written 'name ~ normal(prediction, sd = ...)': use '~', not '='";
  if ((rule === 'stateDecl' || rule === 'statesBlock') && token.image === '=') return "an initial condition is written 'X(0) = value'";
  if (rule === 'argumentList' && (token.tokenType.name === 'Identifier' || token.tokenType.name === 'NumberLiteral')) {
    return `expected ',' or ')', found ${found}: arguments are separated by commas`;
  }
  if (ctx.ruleStack.length <= 1 && rule === 'model' && expects('Kw_parameters')) {
    return `expected a block (${blockList}), found ${found}`;
  }
  if (rule === 'piecewise' && token.image === ',' && previous) return "each piecewise case is 'condition: value'; the last may be 'otherwise: value'";
  return undefined;
}
