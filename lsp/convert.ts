/** Between the compiler's ranges (1-based lines and columns, UTF-16 offsets) and the protocol's (0-based). */
import type { Range as LspRange } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Range } from '../diagnostics/source-range.js';

/** The protocol range of a compiler range, through offsets (the compiler lexes the document's own text). */
export function toLspRange(document: TextDocument, range: Range): LspRange {
  return { start: document.positionAt(range.start.offset), end: document.positionAt(range.end.offset) };
}

/** Whether `offset` lies in `range` or touches its end (a cursor just after a name is on it). */
export function touches(range: Range, offset: number): boolean {
  return range.start.offset <= offset && offset <= range.end.offset;
}

/** The source text of a range. */
export function textOf(document: TextDocument, range: Range): string {
  return document.getText().slice(range.start.offset, range.end.offset);
}
