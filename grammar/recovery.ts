/**
 * Chevrotain's error recovery, made linear in the input's size with the same results.
 *
 * What made its recovery cost more than the input is long (measured on the fuzz repros of issue #17):
 * - `findReSyncTokenType` scans forward from the error to the first token that some rule on the stack could resume at,
 *   once per recovery. When that token is far away (the next block keyword after thousands of bad tokens), n
 *   recoveries scan n tokens each: 10,000 chained '^' in a states block took 8 s.
 * - A repetition (MANY, MANY_SEP, AT_LEAST_ONE) that recovers re-enters itself by recursion, so every recovery in the
 *   same block adds stack frames that stay until the block ends: 1,300 bad lines overflowed the stack, and the one
 *   message left was "nests too deeply", the real error lost.
 * - Each recovery walks the grammar for the tokens that may follow the error's position (here memoized per position),
 *   flattens the follow sets of the whole rule stack once per rule the error unwinds (here memoized per stack), and
 *   each error is an exception whose stack trace is captured (see `withoutStackTraces`).
 * Here the scan is a binary search in positions indexed once per input, and a repetition that recovers again inside
 * its own re-entry asks its outer recovery to re-enter it in a loop instead (the re-entry is a tail call in
 * Chevrotain, so nothing runs between the two: the loop does the same work in the same order). `canResumeAt` lets
 * the grammar say where recovery must not resume (parser.ts: a block keyword that starts no block).
 */
import { CstParser, EOF, type IToken, type TokenType } from 'chevrotain';

/** The parts of Chevrotain's parser state the recovery reads (internal, stable across Chevrotain 10–11). */
interface RecoveryInternals {
  tokVector: IToken[];
  currIdx: number;
  RULE_STACK_IDX: number;
  RULE_STACK: number[];
  RULE_OCCURRENCE_STACK: number[];
  flattenFollowSet(): TokenType[];
  getCurrentGrammarPath(tokType: TokenType, tokIdxInRule: number): { ruleStack: string[]; occurrenceStack: number[] };
  getNextPossibleTokenTypes(path: { ruleStack: string[]; occurrenceStack: number[] }): TokenType[];
  tryInRepetitionRecovery(rule: Function, args: unknown[], lookahead: () => boolean, expected: TokenType): void;
}

/** A repetition being recovered: which one (its re-entry function and arguments, its rule's depth), and a request to re-enter. */
interface Reentry {
  readonly rule: Function;
  readonly args: readonly unknown[];
  readonly depth: number;
  again: boolean;
}

const chevrotainRecovery = (CstParser.prototype as unknown as RecoveryInternals).tryInRepetitionRecovery;

/** Where each token type occurs in the parser's input, built once per input. */
class TokenPositions {
  private readonly byType = new Map<number, number[]>();

  constructor(readonly tokens: readonly IToken[], resumable: (i: number) => boolean) {
    tokens.forEach((t, i) => {
      if (!resumable(i)) return;
      const list = this.byType.get(t.tokenTypeIdx);
      if (list) list.push(i);
      else this.byType.set(t.tokenTypeIdx, [i]);
    });
  }

  /** The first position at or after `from` of a token that `type` matches (itself or a member of its category). */
  firstMatch(type: TokenType, from: number): number {
    if (type === EOF) return this.tokens.length;
    let best = Infinity;
    for (const idx of [type.tokenTypeIdx!, ...(type.categoryMatches ?? [])]) {
      const list = this.byType.get(idx);
      if (list) best = Math.min(best, firstAtOrAfter(list, from));
    }
    return best;
  }
}

function firstAtOrAfter(sorted: readonly number[], from: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length ? sorted[lo]! : Infinity;
}

/**
 * A memo that forgets everything when it holds `limit` entries: the parser lives as long as the process (the language
 * server, a fuzz run of 10⁵ inputs), and the keys are rule stacks, of which broken inputs make ever new ones.
 */
class BoundedMemo<V> {
  private readonly values = new Map<string, V>();

  constructor(private readonly limit = 10_000) {}

  get(key: string, make: () => V): V {
    let value = this.values.get(key);
    if (value === undefined) {
      if (this.values.size >= this.limit) this.values.clear();
      this.values.set(key, (value = make()));
    }
    return value;
  }
}

/** A CstParser whose recovery takes time and stack linear in the input (see the top of this file). */
export class LinearRecoveryParser extends CstParser {
  private positions: TokenPositions | undefined;
  private reentry: Reentry | undefined;
  /** The tokens that may follow a grammar position: a walk of the grammar, the same for every visit of that position. */
  private readonly followsAt = new BoundedMemo<TokenType[]>();
  /** The distinct follow tokens of every rule on a rule stack, the same for every recovery with that stack. */
  private readonly resyncTypesAt = new BoundedMemo<TokenType[]>();

  private get internals(): RecoveryInternals {
    return this as unknown as RecoveryInternals;
  }

  /** Whether recovery may resume at `tokens[i]` when a rule on the stack could continue there. */
  protected canResumeAt(_tokens: readonly IToken[], _i: number): boolean {
    return true;
  }

  /**
   * The follow token (of any rule on the stack) that occurs first from the next token on; of several at that position,
   * the first in the follow stack's order. EOF is always in the stack, so there is always one.
   */
  findReSyncTokenType(): TokenType {
    const { tokVector, currIdx } = this.internals;
    if (this.positions?.tokens !== tokVector) this.positions = new TokenPositions(tokVector, (i) => this.canResumeAt(tokVector, i));
    let found: TokenType = EOF;
    let at = Infinity;
    for (const type of this.resyncTypes()) {
      const p = this.positions.firstMatch(type, currIdx + 1);
      if (p < at) [found, at] = [type, p];
    }
    return found;
  }

  /**
   * The follow tokens of the rules on the stack, each once, in the stack's order: deep recursion repeats the same
   * follow sets once per level, and the first in that order wins a tie, as in Chevrotain (a Set keeps insertion
   * order). Memoized by the stack, which decides them: an error is caught once per rule it unwinds, each asking again,
   * and flattening the stack's follow sets each time was a third of the cost of 2,000 errors in one statement.
   */
  private resyncTypes(): readonly TokenType[] {
    const { RULE_STACK, RULE_OCCURRENCE_STACK, RULE_STACK_IDX } = this.internals;
    let key = '';
    for (let i = 0; i <= RULE_STACK_IDX; i++) key += `${RULE_STACK[i]}.${RULE_OCCURRENCE_STACK[i]} `;
    return this.resyncTypesAt.get(key, () => [...new Set(this.internals.flattenFollowSet())]);
  }

  /** Chevrotain's, memoized by grammar position. */
  getFollowsForInRuleRecovery(tokType: TokenType, tokIdxInRule: number): TokenType[] {
    const path = this.internals.getCurrentGrammarPath(tokType, tokIdxInRule);
    const key = `${path.ruleStack.join(' ')}|${path.occurrenceStack.join(' ')}|${tokType.name}|${tokIdxInRule}`;
    return this.followsAt.get(key, () => this.internals.getNextPossibleTokenTypes(path));
  }

  /**
   * Chevrotain's, except that a recovery inside the re-entry of the same repetition (same re-entry function and
   * arguments, same rule depth) asks the outer one to re-enter again rather than re-entering by recursion.
   */
  tryInRepetitionRecovery(rule: Function, args: unknown[], lookahead: () => boolean, expected: TokenType): void {
    const depth = this.internals.RULE_STACK_IDX;
    const outer = this.reentry;
    if (outer && outer.rule === rule && outer.depth === depth && sameArguments(outer.args, args)) {
      chevrotainRecovery.call(this, () => { outer.again = true; }, [], lookahead, expected);
      return;
    }
    const mine: Reentry = { rule, args, depth, again: false };
    this.reentry = mine;
    try {
      const reenter = function (this: unknown): void {
        do {
          mine.again = false;
          rule.apply(this, args);
        } while (mine.again);
      };
      chevrotainRecovery.call(this, reenter, [], lookahead, expected);
    } finally {
      this.reentry = outer;
    }
  }
}

function sameArguments(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Runs `parse` with stack traces off: the parser's errors are exceptions used for control flow (one per recovery),
 * and capturing a stack for each was a tenth of the time of a parse with thousands of errors. Their messages and
 * tokens are all that is read.
 */
export function withoutStackTraces<T>(parse: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return parse();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
