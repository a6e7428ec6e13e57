/** The compiler's diagnostics as protocol diagnostics; a suggested fix travels in `data` for the code action. */
import { DiagnosticSeverity, DiagnosticTag, type Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Analysis } from '../analysis.js';
import { toLspRange } from '../convert.js';

const severity = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information } as const;

/** Warnings about something unused: editors fade the name. */
const unnecessary = new Set(['W300', 'W301', 'W302', 'W304', 'W305']);

export interface FixData {
  readonly fix: { readonly title: string; readonly newText: string; readonly range: ReturnType<typeof toLspRange> };
}

export function toLspDiagnostic(analysis: Analysis, d: Diagnostic): LspDiagnostic {
  const doc = analysis.document;
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
