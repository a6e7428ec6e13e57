/**
 * Diagnostics are values: the compiler returns them, the CLI renders them, the language server maps them.
 * Nothing in the compiler prints or throws for a user error.
 */
import type { Range } from './source-range.js';
import type { DiagnosticCode } from './codes.js';
import { diagnosticCatalogue } from './codes.js';

export type Severity = 'error' | 'warning' | 'info';

/** A text edit that fixes the problem, offered as a code action. */
export interface Fix {
  readonly title: string;
  readonly range: Range;
  readonly newText: string;
}

export interface RelatedInfo {
  readonly range: Range;
  readonly message: string;
}

export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly range: Range;
  readonly message: string;
  readonly related: readonly RelatedInfo[];
  readonly fix?: Fix;
}

/** The one constructor: range first, severity from the catalogue. */
export function diagnostic(code: DiagnosticCode, range: Range, message: string, extra: { related?: RelatedInfo[]; fix?: Fix } = {}): Diagnostic {
  return { code, severity: diagnosticCatalogue[code].severity, range, message, related: extra.related ?? [], ...(extra.fix ? { fix: extra.fix } : {}) };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Sorts by position, then code, so output is stable whatever order the passes found them in. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => a.range.start.offset - b.range.start.offset || a.code.localeCompare(b.code));
}

/** A failure of the compiler itself, never of the user's model: "this is a bug". */
export class InternalCompilerError extends Error {
  constructor(message: string) {
    super(`internal compiler error (this is a bug in nlmc, please report it): ${message}`);
    this.name = 'InternalCompilerError';
  }
}
