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

/**
 * Line breaks as the lexer counts them (Chevrotain's default line terminators) and as LSP clients do: CRLF, a
 * lone LF, or a lone CR. Everything that turns offsets into lines, or lines back into text — the renderer, the
 * comment attachment, the end-of-file position — splits with this, so that a lone CR never shifts a line.
 */
export const LINE_BREAK = /\r\n|\r|\n/;

/** The source's lines (`LINE_BREAK`), without their terminators. */
export function sourceLines(source: string): string[] {
  return source.split(LINE_BREAK);
}
