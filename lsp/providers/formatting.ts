/** Format Document: the formatter of `nlmc fmt`, as one edit covering what changed (nothing for a file with syntax errors). */
import type { TextEdit } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { formatModel } from '../../grammar/format.js';

export function formatting(document: TextDocument): TextEdit[] {
  const text = document.getText();
  const result = formatModel(text);
  if (!result.ok || !result.changed) return [];
  // The smallest single edit: skip what the two texts share at both ends, so the cursor and folds stay put.
  const next = result.text;
  let start = 0;
  while (start < text.length && start < next.length && text[start] === next[start]) start++;
  let end = 0;
  while (end < text.length - start && end < next.length - start && text[text.length - 1 - end] === next[next.length - 1 - end]) end++;
  // Do not split a surrogate pair or a CRLF.
  while (start > 0 && /[\r\uD800-\uDBFF]/.test(text[start - 1]!)) start--;
  while (end > 0 && /[\n\uDC00-\uDFFF]/.test(text[text.length - end]!)) end--;
  return [{ range: { start: document.positionAt(start), end: document.positionAt(text.length - end) }, newText: next.slice(start, next.length - end) }];
}
