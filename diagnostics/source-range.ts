/** Source positions shared by every stage, from the parser to the language server. */

/** A 1-based line and column, and a 0-based character offset. */
export interface Position {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

/** A half-open source range: `end` points just past the last character. */
export interface Range {
  readonly start: Position;
  readonly end: Position;
}

/** The range covering both arguments. */
export function span(a: Range, b: Range): Range {
  return { start: a.start.offset <= b.start.offset ? a.start : b.start, end: a.end.offset >= b.end.offset ? a.end : b.end };
}

/** Where nothing in the source corresponds: the start of the file. */
export const fileStart: Range = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };
