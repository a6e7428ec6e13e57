/** Find references: every use of the symbol under the cursor, and its declaration if asked. */
import type { Location } from 'vscode-languageserver';
import type { Analysis } from '../analysis.js';
import { toLspRange } from '../convert.js';
import { occurrences, symbolAt } from '../symbol-at.js';

export function references(analysis: Analysis, offset: number, includeDeclaration: boolean): Location[] {
  const hit = symbolAt(analysis, offset);
  if (hit?.kind !== 'symbol') return [];
  return occurrences(analysis, hit.symbol, includeDeclaration).map((r) => ({ uri: analysis.document.uri, range: toLspRange(analysis.document, r) }));
}
