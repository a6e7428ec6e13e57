/**
 * The Chevrotain CST parser for `.nlm`, with error recovery on: a run reports every syntax error it can and
 * still yields a (partial) CST for the AST builder and the language server.
 *
 * Statements need no separators (an optional `;` or `,` is accepted); expressions stop at the first token
 * that cannot continue them, so `X1(0) = 2  X2(0) = 3` on one line is two declarations.
 */
import { type CstNode, type IToken, type TokenType } from 'chevrotain';
import { LinearRecoveryParser } from './recovery.js';
import { expectedMarkingProvider } from './syntax-messages.js';
import * as T from './tokens.js';

const ruleStartBlocks: TokenType[] = [T.Covariates, T.Constants, T.Parameters, T.States, T.Ode, T.Dosing, T.Observe, T.ErrorKw];

const blockStartTypes = new Set(ruleStartBlocks);

export class NlmParser extends LinearRecoveryParser {
  constructor() {
    super(T.allTokens as TokenType[], { recoveryEnabled: true, maxLookahead: 3, nodeLocationTracking: 'full', errorMessageProvider: expectedMarkingProvider });
    this.performSelfAnalysis();
  }

  /**
   * A block keyword is where recovery resumes only when a block starts there: a stray `states` inside an equation is
   * one mistake, and reading it as the start of a states block would turn the rest of the ode block into errors.
   */
  protected override canResumeAt(tokens: readonly IToken[], i: number): boolean {
    return !blockStartTypes.has(tokens[i]!.tokenType) || tokens[i + 1]?.tokenType === T.LBrace;
  }

  /**
   * The argument of an `OR` or a repetition, built on its first run and reused: built on every run, its objects and
   * closures were a large part of the parser's time (and under tsx, which names each closure as it is made, the
   * larger part), as Chevrotain's performance guide says. They hold nothing of one run: only `this`.
   */
  private readonly built = new Map<string, unknown>();

  private once<V>(key: string, build: () => V): V {
    let value = this.built.get(key) as V | undefined;
    if (value === undefined) this.built.set(key, (value = build()));
    return value;
  }

  /** The modifiers after a declaration, the same repetition in each rule that has them (see `once`). */
  private readonly modifiers = { GATE: (): boolean => this.modifierFollows(), DEF: (): CstNode => this.SUBRULE(this.modifier) };

  /**
   * Recovery never inserts an opening bracket: nothing closes it, so the rest of the statement parses nested inside
   * it, and each further insertion nests one level deeper where the nesting limit (parse.ts) counts no bracket.
   * `piecewise + piecewise + …` nested 2,000 deep that way until the stack overflowed (the bench of issue #17).
   * The missing bracket is still reported; the rule re-synchronises instead.
   */
  protected override canTokenTypeBeInsertedInRecovery(tokType: TokenType): boolean {
    return tokType !== T.LParen && tokType !== T.LBracket;
  }

  /**
   * Modifiers are words, and so are the names that start the next declaration: a modifier must stay on the
   * line of what it modifies and must not be followed by '=' (which would make it the next declaration).
   */
  private modifierFollows(): boolean {
    const next = this.LA(1);
    const type = next.tokenType;
    if (type === T.Fixed || type === T.In) return true;
    if (type !== T.Identifier) return false;
    return next.startLine === this.LA(0).endLine && this.LA(2).tokenType !== T.Equals;
  }

  public model = this.RULE('model', () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.MANY(() => this.SUBRULE(this.block));
  });

  /** Re-entry point after the top level had to skip tokens: the rest of the file is more blocks. */
  public blocks = this.RULE('blocks', () => {
    this.MANY(() => this.SUBRULE(this.block));
  });

  public block = this.RULE('block', () => {
    this.OR(this.once('block', () => [
      { ALT: () => this.SUBRULE(this.covariatesBlock) },
      { ALT: () => this.SUBRULE(this.constantsBlock) },
      { ALT: () => this.SUBRULE(this.parametersBlock) },
      { ALT: () => this.SUBRULE(this.statesBlock) },
      { ALT: () => this.SUBRULE(this.odeBlock) },
      { ALT: () => this.SUBRULE(this.dosingBlock) },
      { ALT: () => this.SUBRULE(this.observeBlock) },
      { ALT: () => this.SUBRULE(this.errorBlock) },
    ]));
  });

  private separator = this.RULE('separator', () => {
    this.OR(this.once('separator', () => [{ ALT: () => this.CONSUME(T.Semicolon) }, { ALT: () => this.CONSUME(T.Comma) }]));
  });

  public covariatesBlock = this.RULE('covariatesBlock', () => {
    this.CONSUME(T.Covariates);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.SUBRULE(this.covariateDecl);
      this.OPTION(() => this.SUBRULE(this.separator));
    });
    this.CONSUME(T.RBrace);
  });

  /** `WT "kg"`, `SEX categorical` or `SEX categorical(0, 1)`: the modifier words are checked later. */
  public covariateDecl = this.RULE('covariateDecl', () => {
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.OPTION(() => this.CONSUME(T.StringLiteral, { LABEL: 'unit' }));
    this.MANY(this.modifiers);
  });

  public constantsBlock = this.RULE('constantsBlock', () => {
    this.CONSUME(T.Constants);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.SUBRULE(this.definition);
      this.OPTION(() => this.SUBRULE(this.separator));
    });
    this.CONSUME(T.RBrace);
  });

  public parametersBlock = this.RULE('parametersBlock', () => {
    this.CONSUME(T.Parameters);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR(this.once('parametersBlock', () => [{ ALT: () => this.SUBRULE(this.correlationDecl) }, { ALT: () => this.SUBRULE(this.parameterDecl) }]));
      this.OPTION(() => this.SUBRULE(this.separator));
    });
    this.CONSUME(T.RBrace);
  });

  /**
   * `correlation(CL, V) = 0.3`: the correlation of two parameters' random effects, with its initial value (`fixed`
   * allowed). The word is a name, not a keyword (a parameter may still be called `correlation`); the checker
   * requires it to be `correlation`.
   */
  public correlationDecl = this.RULE('correlationDecl', () => {
    this.CONSUME(T.Identifier, { LABEL: 'word' });
    this.CONSUME(T.LParen);
    this.CONSUME2(T.Identifier, { LABEL: 'first' });
    this.CONSUME(T.Comma);
    this.CONSUME3(T.Identifier, { LABEL: 'second' });
    this.CONSUME(T.RParen);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.signedNumber, { LABEL: 'initial' });
    this.MANY(this.modifiers);
  });

  public errorBlock = this.RULE('errorBlock', () => {
    this.CONSUME(T.ErrorKw);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.SUBRULE(this.parameterDecl);
      this.OPTION(() => this.SUBRULE(this.separator));
    });
    this.CONSUME(T.RBrace);
  });

  /** `CL = 0.04 "L/h" lognormal(omega = 0.3) effect(beta * log(WT / 70))`, `F = 0.5 in (0, 1) fixed`. */
  public parameterDecl = this.RULE('parameterDecl', () => {
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.signedNumber, { LABEL: 'initial' });
    this.OPTION(() => this.CONSUME(T.StringLiteral, { LABEL: 'unit' }));
    this.MANY(this.modifiers);
  });

  public signedNumber = this.RULE('signedNumber', () => {
    this.OPTION(() => this.CONSUME(T.Minus));
    this.CONSUME(T.NumberLiteral);
  });

  /** A trailing qualifier: `fixed`, `in (lo, hi)`, or a word with optional arguments (`lognormal(omega = 0.5)`, `infusion`). */
  public modifier = this.RULE('modifier', () => {
    this.OR(this.once('modifier', () => [
      { ALT: () => this.CONSUME(T.Fixed) },
      {
        ALT: () => {
          this.CONSUME(T.In);
          this.CONSUME(T.LParen);
          this.SUBRULE(this.signedNumber, { LABEL: 'lower' });
          this.CONSUME(T.Comma);
          this.SUBRULE2(this.signedNumber, { LABEL: 'upper' });
          this.CONSUME(T.RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: 'word' });
          this.OPTION(() => this.SUBRULE(this.argumentList));
        },
      },
    ]));
  });

  public statesBlock = this.RULE('statesBlock', () => {
    this.CONSUME(T.States);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.SUBRULE(this.stateDecl);
      this.OPTION(() => this.SUBRULE(this.separator));
    });
    this.CONSUME(T.RBrace);
  });

  /** `X1(0) = 2`, or a bare `depot` which starts at zero. */
  public stateDecl = this.RULE('stateDecl', () => {
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.CONSUME(T.NumberLiteral, { LABEL: 'zero' });
      this.CONSUME(T.RParen);
      this.CONSUME(T.Equals);
      this.SUBRULE(this.expression, { LABEL: 'initial' });
    });
    this.OPTION2(() => this.CONSUME(T.StringLiteral, { LABEL: 'unit' }));
  });

  public odeBlock = this.RULE('odeBlock', () => {
    this.CONSUME(T.Ode);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR(this.once('odeBlock', () => [{ ALT: () => this.SUBRULE(this.derivative) }, { ALT: () => this.SUBRULE(this.definition) }]));
      this.OPTION(() => this.SUBRULE(this.separator));
    });
    this.CONSUME(T.RBrace);
  });

  /** `d/dt X = expr` or `d/dt(X) = expr`. */
  public derivative = this.RULE('derivative', () => {
    this.CONSUME(T.DDt);
    this.OR(this.once('derivative', () => [
      { ALT: () => this.CONSUME(T.Identifier, { LABEL: 'state' }) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.CONSUME2(T.Identifier, { LABEL: 'state' });
          this.CONSUME(T.RParen);
        },
      },
    ]));
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  public definition = this.RULE('definition', () => {
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  public dosingBlock = this.RULE('dosingBlock', () => {
    this.CONSUME(T.Dosing);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR(this.once('dosingBlock', () => [{ ALT: () => this.SUBRULE(this.inputDecl) }, { ALT: () => this.SUBRULE(this.doseDecl) }]));
      this.OPTION(() => this.SUBRULE(this.separator));
    });
    this.CONSUME(T.RBrace);
  });

  /** `input oral -> depot lag(tlag) bioavailability(F)`: doses from the dataset's AMT/EVID/CMT rows. */
  public inputDecl = this.RULE('inputDecl', () => {
    this.CONSUME(T.Input);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.Arrow);
    this.CONSUME2(T.Identifier, { LABEL: 'target' });
    this.MANY(this.modifiers);
  });

  /** `dose 100 -> central at [0, 24, 48] duration(2)`: doses declared by the model itself. */
  public doseDecl = this.RULE('doseDecl', () => {
    this.CONSUME(T.Dose);
    this.SUBRULE(this.additive, { LABEL: 'amount' });
    this.CONSUME(T.Arrow);
    this.CONSUME(T.Identifier, { LABEL: 'target' });
    this.CONSUME(T.At);
    this.SUBRULE2(this.additive, { LABEL: 'times' });
    this.MANY(this.modifiers);
  });

  public observeBlock = this.RULE('observeBlock', () => {
    this.CONSUME(T.Observe);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.SUBRULE(this.observation);
      this.OPTION(() => this.SUBRULE(this.separator));
    });
    this.CONSUME(T.RBrace);
  });

  /** `conc ~ normal(central / V, sd = combined(a = 0.5, b = 0.1))`, `log(conc) ~ normal(log(central / V), sd = a)`. */
  public observation = this.RULE('observation', () => {
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.CONSUME2(T.Identifier, { LABEL: 'inner' });
      this.CONSUME(T.RParen);
    });
    this.CONSUME(T.Tilde);
    this.CONSUME3(T.Identifier, { LABEL: 'distribution' });
    this.SUBRULE(this.argumentList);
    this.MANY(this.modifiers);
  });

  public argumentList = this.RULE('argumentList', () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP(this.once('argumentList', () => ({ SEP: T.Comma, DEF: () => this.SUBRULE(this.argument) })));
    this.CONSUME(T.RParen);
  });

  /** A positional or named argument; a named one may be marked `fixed` (`omega = 0.3 fixed`). */
  public argument = this.RULE('argument', () => {
    this.OPTION(() => {
      this.CONSUME(T.Identifier, { LABEL: 'name' });
      this.CONSUME(T.Equals);
    });
    this.SUBRULE(this.expression, { LABEL: 'value' });
    this.OPTION2(() => this.CONSUME(T.Fixed));
  });

  // ---- expressions, loosest binding first ----

  public expression = this.RULE('expression', () => {
    this.OR(this.once('expression', () => [{ ALT: () => this.SUBRULE(this.ifExpression) }, { ALT: () => this.SUBRULE(this.orExpression) }]));
  });

  public ifExpression = this.RULE('ifExpression', () => {
    this.CONSUME(T.If);
    this.SUBRULE(this.orExpression, { LABEL: 'condition' });
    this.CONSUME(T.Then);
    this.SUBRULE(this.expression, { LABEL: 'then' });
    this.CONSUME(T.Else);
    this.SUBRULE2(this.expression, { LABEL: 'else' });
  });

  public orExpression = this.RULE('orExpression', () => {
    this.SUBRULE(this.andExpression, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(T.Or, { LABEL: 'operators' });
      this.SUBRULE2(this.andExpression, { LABEL: 'operands' });
    });
  });

  public andExpression = this.RULE('andExpression', () => {
    this.SUBRULE(this.notExpression, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(T.And, { LABEL: 'operators' });
      this.SUBRULE2(this.notExpression, { LABEL: 'operands' });
    });
  });

  public notExpression = this.RULE('notExpression', () => {
    this.OR(this.once('notExpression', () => [
      {
        ALT: () => {
          this.CONSUME(T.Not);
          this.SUBRULE(this.notExpression, { LABEL: 'operand' });
        },
      },
      { ALT: () => this.SUBRULE(this.comparison, { LABEL: 'comparison' }) },
    ]));
  });

  /**
   * Comparisons do not chain: `a < b < c` is a syntax error, not a surprise. The grammar reads a chain anyway and the
   * AST builder reports it, so that the rest of the statement parses normally and causes no follow-on errors.
   */
  public comparison = this.RULE('comparison', () => {
    this.SUBRULE(this.additive, { LABEL: 'operands' });
    this.MANY(() => {
      this.OR(this.once('comparison', () => [
        { ALT: () => this.CONSUME(T.Less, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(T.LessEq, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(T.Greater, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(T.GreaterEq, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(T.EqEq, { LABEL: 'operator' }) },
        { ALT: () => this.CONSUME(T.NotEq, { LABEL: 'operator' }) },
      ]));
      this.SUBRULE2(this.additive, { LABEL: 'operands' });
    });
  });

  public additive = this.RULE('additive', () => {
    this.SUBRULE(this.multiplicative, { LABEL: 'operands' });
    this.MANY(() => {
      this.OR(this.once('additive', () => [
        { ALT: () => this.CONSUME(T.Plus, { LABEL: 'operators' }) },
        { ALT: () => this.CONSUME(T.Minus, { LABEL: 'operators' }) },
      ]));
      this.SUBRULE2(this.multiplicative, { LABEL: 'operands' });
    });
  });

  public multiplicative = this.RULE('multiplicative', () => {
    this.SUBRULE(this.unary, { LABEL: 'operands' });
    this.MANY(() => {
      this.OR(this.once('multiplicative', () => [
        { ALT: () => this.CONSUME(T.Star, { LABEL: 'operators' }) },
        { ALT: () => this.CONSUME(T.Slash, { LABEL: 'operators' }) },
      ]));
      this.SUBRULE2(this.unary, { LABEL: 'operands' });
    });
  });

  /** Unary minus binds looser than `^`: `-x^2` is `-(x^2)`, as in mathematics. */
  public unary = this.RULE('unary', () => {
    this.OR(this.once('unary', () => [
      {
        ALT: () => {
          this.OR2(this.once('unary.sign', () => [
            { ALT: () => this.CONSUME(T.Minus, { LABEL: 'operator' }) },
            { ALT: () => this.CONSUME(T.Plus, { LABEL: 'operator' }) },
          ]));
          this.SUBRULE(this.unary, { LABEL: 'operand' });
        },
      },
      { ALT: () => this.SUBRULE(this.power, { LABEL: 'power' }) },
    ]));
  });

  /** `^` is right-associative and its exponent may carry a sign: `2^-x`. */
  public power = this.RULE('power', () => {
    this.SUBRULE(this.primary, { LABEL: 'base' });
    this.OPTION(() => {
      this.CONSUME(T.Caret);
      this.SUBRULE(this.unary, { LABEL: 'exponent' });
    });
  });

  public primary = this.RULE('primary', () => {
    this.OR(this.once('primary', () => [
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.SUBRULE(this.piecewise) },
      { ALT: () => this.SUBRULE(this.sum) },
      { ALT: () => this.SUBRULE(this.list) },
      {
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: 'name' });
          this.OPTION(() => this.SUBRULE(this.argumentList, { LABEL: 'call' }));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expression, { LABEL: 'inner' });
          this.CONSUME(T.RParen);
        },
      },
    ]));
  });

  /** `piecewise(t < t2: 1, t < t3: fM2, otherwise: fM3)`: the first true condition wins. */
  public piecewise = this.RULE('piecewise', () => {
    this.CONSUME(T.Piecewise);
    this.CONSUME(T.LParen);
    this.AT_LEAST_ONE_SEP(this.once('piecewise', () => ({
      SEP: T.Comma,
      DEF: () => {
        this.OR(this.once('piecewise.case', () => [
          {
            ALT: () => {
              this.CONSUME(T.Otherwise);
              this.CONSUME(T.Colon, { LABEL: 'otherwiseColon' });
              this.SUBRULE(this.expression, { LABEL: 'otherwise' });
            },
          },
          {
            ALT: () => {
              this.SUBRULE2(this.orExpression, { LABEL: 'conditions' });
              this.CONSUME2(T.Colon);
              this.SUBRULE3(this.expression, { LABEL: 'values' });
            },
          },
        ]));
      },
    })));
    this.CONSUME(T.RParen);
  });

  /** `sum(tau in pulses: exp(-(t - tau)^2 / nu^2))` over a constant list, unrolled by the compiler. */
  public sum = this.RULE('sum', () => {
    this.CONSUME(T.Sum);
    this.CONSUME(T.LParen);
    this.CONSUME(T.Identifier, { LABEL: 'variable' });
    this.CONSUME(T.In);
    this.SUBRULE(this.additive, { LABEL: 'domain' });
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expression, { LABEL: 'body' });
    this.CONSUME(T.RParen);
  });

  public list = this.RULE('list', () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP(this.once('list', () => ({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression, { LABEL: 'items' }) })));
    this.CONSUME(T.RBracket);
  });
}

/** One parser instance is reused: Chevrotain's self-analysis is the expensive part. */
export const nlmParser = new NlmParser();

/** Block keywords, for messages and completion. */
export const blockKeywords: readonly string[] = ruleStartBlocks.map((t) => String(t.LABEL).slice(1, -1));

export type { CstNode, IToken };
