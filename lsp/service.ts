/**
 * The language service: the analysis of each open document (one compile per version, shared by every request) and the
 * fit results beside it, dispatched to one provider per feature. It knows nothing of JSON-RPC: `server.ts` connects
 * it to a client, and the tests drive it in-process as well.
 */
import type {
  CodeAction, CodeActionParams, CodeLens, CompletionItem, Diagnostic, DocumentSymbol, FoldingRange, Hover, Location, Position, Range, SemanticTokens, TextEdit,
  WorkspaceEdit, ResponseError,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { analyze, type Analysis } from './analysis.js';
import { FitResults, type FitSummary } from './fit-results.js';
import { codeActions } from './providers/code-actions.js';
import { codeLenses } from './providers/code-lens.js';
import { completion } from './providers/completion.js';
import { definition } from './providers/definition.js';
import { diagnostics } from './providers/diagnostics.js';
import { documentSymbols } from './providers/document-symbols.js';
import { foldingRanges } from './providers/folding.js';
import { formatting } from './providers/formatting.js';
import { hover } from './providers/hover.js';
import { references } from './providers/references.js';
import { prepareRename, rename } from './providers/rename.js';
import { semanticTokens } from './providers/semantic-tokens.js';

export class LanguageService {
  private readonly analyses = new Map<string, Analysis>();
  private readonly fits = new FitResults();

  /** The analysis of the document as it is now: computed once per version. */
  analysis(document: TextDocument): Analysis {
    const cached = this.analyses.get(document.uri);
    if (cached && cached.version === document.version && cached.document === document) return cached;
    const fresh = analyze(document);
    this.analyses.set(document.uri, fresh);
    return fresh;
  }

  forget(uri: string): void {
    this.analyses.delete(uri);
  }

  fit(document: TextDocument): FitSummary | undefined {
    return this.fits.get(document.uri);
  }

  diagnostics(document: TextDocument): Diagnostic[] {
    return diagnostics(this.analysis(document));
  }

  hover(document: TextDocument, position: Position): Hover | null {
    return hover(this.analysis(document), document.offsetAt(position), this.fit(document));
  }

  /** `trigger`: the typed character that asked for completion, when it was one (CompletionTriggerKind.TriggerCharacter). */
  completion(document: TextDocument, position: Position, trigger?: string): CompletionItem[] {
    return completion(this.analysis(document), document.offsetAt(position), trigger);
  }

  definition(document: TextDocument, position: Position): Location | null {
    return definition(this.analysis(document), document.offsetAt(position));
  }

  references(document: TextDocument, position: Position, includeDeclaration: boolean): Location[] {
    return references(this.analysis(document), document.offsetAt(position), includeDeclaration);
  }

  prepareRename(document: TextDocument, position: Position): { range: Range; placeholder: string } | null {
    return prepareRename(this.analysis(document), document.offsetAt(position));
  }

  rename(document: TextDocument, position: Position, newName: string): WorkspaceEdit | ResponseError<void> | null {
    return rename(this.analysis(document), document.offsetAt(position), newName);
  }

  documentSymbols(document: TextDocument): DocumentSymbol[] {
    return documentSymbols(this.analysis(document));
  }

  semanticTokens(document: TextDocument): SemanticTokens {
    return semanticTokens(this.analysis(document));
  }

  foldingRanges(document: TextDocument): FoldingRange[] {
    return foldingRanges(this.analysis(document));
  }

  formatting(document: TextDocument): TextEdit[] {
    return formatting(document);
  }

  codeActions(document: TextDocument, params: CodeActionParams): CodeAction[] {
    return codeActions(this.analysis(document), params);
  }

  codeLenses(document: TextDocument): CodeLens[] {
    return codeLenses(this.analysis(document), this.fit(document));
  }
}
