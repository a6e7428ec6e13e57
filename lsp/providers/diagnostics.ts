/**
 * The compiler's diagnostics as protocol diagnostics; a suggested fix travels in `data` for the code action. An unknown
 * function (E203) that the compiler has no guess for gets one from lsp/function-suggestion.ts (`logten` → `log10`).
 */
import { DiagnosticSeverity, DiagnosticTag, type Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Analysis } from '../analysis.js';
import { textOf, toLspRange } from '../convert.js';
import { equivalentFunction } from '../function-suggestion.js';

const severity = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information } as const;

/** Warnings about something unused: editors fade the name. */
const unnecessary = new Set(['W300', 'W301', 'W302', 'W304', 'W305']);

export interface FixData {
  readonly fix: { readonly title: string; readonly newText: string; readonly range: ReturnType<typeof toLspRange> };
}

/** E203 "unknown function 'logten'" without a guess: the equivalent built-in as the guess and the fix. */
function withFunctionGuess(analysis: Analysis, d: Diagnostic): Diagnostic {
  if (d.code !== 'E203' || d.fix || !d.message.startsWith('unknown function ') || d.message.includes('did you mean')) return d;
  const guess = equivalentFunction(textOf(analysis.document, d.range));
  if (!guess) return d;
  return { ...d, message: `${d.message}; did you mean '${guess}'?`, fix: { title: `Change to '${guess}'`, newText: guess, range: d.range } };
}

export function toLspDiagnostic(analysis: Analysis, compiled: Diagnostic): LspDiagnostic {
  const doc = analysis.document;
  const d = withFunctionGuess(analysis, compiled);
  return {
    range: toLspRange(doc, d.range),
    severity: severity[d.severity],
    code: d.code,
    source: 'nlmc',
    message: d.message,
    ...(d.related.length > 0 ? { relatedInformation: d.related.map((r) => ({ location: { uri: doc.uri, range: toLspRange(doc, r.range) }, message: r.message })) } : {}),
    ...(unnecessary.has(d.code) ? { tags: [DiagnosticTag.Unnecessary] } : {}),
    ...(d.fix ? { data: { fix: { title: d.fix.title, newText: d.fix.newText, range: toLspRange(doc, d.fix.range) } } satisfies FixData } : {}),
  };
}

export function diagnostics(analysis: Analysis): LspDiagnostic[] {
  return analysis.result.diagnostics.map((d) => toLspDiagnostic(analysis, d));
}
