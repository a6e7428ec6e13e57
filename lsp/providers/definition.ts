/** Go to definition: the declaration of the symbol under the cursor. */
import type { Location } from 'vscode-languageserver';
import type { Analysis } from '../analysis.js';
import { toLspRange } from '../convert.js';
import { symbolAt } from '../symbol-at.js';

export function definition(analysis: Analysis, offset: number): Location | null {
  const hit = symbolAt(analysis, offset);
  if (hit?.kind !== 'symbol' || !hit.symbol.declRange) return null;
  return { uri: analysis.document.uri, range: toLspRange(analysis.document, hit.symbol.declRange) };
}
