/**
 * Rename a declared symbol everywhere. The new name must be a name the checker would accept there: not a keyword,
 * `t`, a named constant or a built-in, and not already declared.
 */
import { ResponseError, ErrorCodes, type Range as LspRange, type WorkspaceEdit } from 'vscode-languageserver';
import { reservedWords } from '../../grammar/tokens.js';
import { builtins, macros, namedConstants, specialForms } from '../../stdlib/builtins.js';
import type { Analysis } from '../analysis.js';
import { toLspRange } from '../convert.js';
import { occurrences, symbolAt } from '../symbol-at.js';

/** The name under the cursor and its range, if it can be renamed. */
export function prepareRename(analysis: Analysis, offset: number): { range: LspRange; placeholder: string } | null {
  const hit = symbolAt(analysis, offset);
  if (hit?.kind !== 'symbol' || !hit.symbol.declRange) return null;
  if (analysis.text.slice(hit.range.start.offset, hit.range.end.offset) !== hit.symbol.name) return null;
  return { range: toLspRange(analysis.document, hit.range), placeholder: hit.symbol.name };
}

/** Why `name` cannot be the new name, or undefined. */
export function invalidName(analysis: Analysis, name: string, current: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return `'${name}' is not a name: letters, digits and '_', not starting with a digit`;
  if (reservedWords.has(name)) return `'${name}' is a keyword`;
  if (name === 't' || namedConstants.has(name)) return `'${name}' is reserved`;
  if (builtins.has(name) || macros.has(name) || specialForms.has(name)) return `'${name}' is a built-in function`;
  if (name !== current && analysis.result.checked?.symbols.has(name)) return `'${name}' is already declared`;
  return undefined;
}

export function rename(analysis: Analysis, offset: number, newName: string): WorkspaceEdit | ResponseError<void> | null {
  const hit = symbolAt(analysis, offset);
  if (hit?.kind !== 'symbol' || !hit.symbol.declRange) return null;
  const why = invalidName(analysis, newName, hit.symbol.name);
  if (why) return new ResponseError(ErrorCodes.InvalidParams, `cannot rename to '${newName}': ${why}`);
  const edits = occurrences(analysis, hit.symbol, true).map((r) => ({ range: toLspRange(analysis.document, r), newText: newName }));
  return { changes: { [analysis.document.uri]: edits } };
}
