/**
 * Quick fixes: the checker's suggestions (a diagnostic's `fix`: "Change to 'lognormal'", "Use double quotes"), offered
 * for the diagnostics in the request, or, when the client did not send them back with their data, for the current
 * analysis's diagnostics in the range.
 */
import { CodeActionKind, type CodeAction, type CodeActionParams, type Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import type { Analysis } from '../analysis.js';
import type { FixData } from './diagnostics.js';
import { diagnostics as currentDiagnostics } from './diagnostics.js';

function fixOf(d: LspDiagnostic): FixData['fix'] | undefined {
  const data = d.data as Partial<FixData> | undefined;
  const fix = data?.fix;
  return fix && typeof fix.title === 'string' && typeof fix.newText === 'string' && fix.range ? fix : undefined;
}

const before = (a: { line: number; character: number }, b: { line: number; character: number }): boolean => a.line < b.line || (a.line === b.line && a.character <= b.character);

export function codeActions(analysis: Analysis, params: CodeActionParams): CodeAction[] {
  if (params.context.only && !params.context.only.some((k) => CodeActionKind.QuickFix.startsWith(k))) return [];
  let candidates = params.context.diagnostics.filter((d) => d.source === 'nlmc' && fixOf(d));
  if (candidates.length === 0) {
    const { start, end } = params.range;
    candidates = currentDiagnostics(analysis).filter((d) => fixOf(d) && before(d.range.start, end) && before(start, d.range.end));
  }
  return candidates.map((d) => {
    const fix = fixOf(d)!;
    return {
      title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: true,
      edit: { changes: { [analysis.document.uri]: [{ range: fix.range, newText: fix.newText }] } },
    };
  });
}
