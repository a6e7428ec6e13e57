/**
 * `nlmc lsp --stdio`: the language server, a thin shell over the compiler's front end. This file only speaks the
 * protocol: documents, debounced diagnostics, and one handler per request, each passed to `LanguageService`.
 *
 * Diagnostics: the first change after a quiet spell is analysed at once (after the messages already received), so a
 * single edit gets its diagnostics as fast as the compiler allows; further changes within `debounceMs` (150 ms, or
 * `initializationOptions.debounceMs`) restart a timer, so a burst of typing is analysed once it pauses. Requests
 * always see the current text: they analyse it themselves if the timer has not fired yet.
 */
import {
  CodeActionKind, CodeLensRefreshRequest, CompletionTriggerKind, ProposedFeatures, StreamMessageReader, StreamMessageWriter, TextDocumentSyncKind, TextDocuments, createConnection,
  type CodeActionParams, type CompletionParams, type Connection, type InitializeResult, type ReferenceParams, type RenameParams, type TextDocumentPositionParams,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { triggerCharacters } from './providers/completion.js';
import { legend } from './providers/semantic-tokens.js';
import { LanguageService } from './service.js';

export interface ServerOptions {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  /** Exit when this process is gone (as `--clientProcessId` asks). */
  readonly clientProcessId?: number;
}

export const capabilities: InitializeResult['capabilities'] = {
  textDocumentSync: TextDocumentSyncKind.Incremental,
  hoverProvider: true,
  completionProvider: { resolveProvider: false, triggerCharacters },
  definitionProvider: true,
  referencesProvider: true,
  renameProvider: { prepareProvider: true },
  documentSymbolProvider: true,
  semanticTokensProvider: { legend, full: true },
  foldingRangeProvider: true,
  documentFormattingProvider: true,
  codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
  codeLensProvider: { resolveProvider: false },
};

export function startServer(options: ServerOptions): Connection {
  const connection = createConnection(ProposedFeatures.all, new StreamMessageReader(options.input), new StreamMessageWriter(options.output));
  const documents = new TextDocuments(TextDocument);
  const service = new LanguageService();
  let debounceMs = 150;
  let codeLensRefresh = false;

  /** Runs a handler; a failure is logged and answered with `fallback`, never allowed to stop the server. */
  const guard = <P, R>(what: string, fallback: R, run: (params: P) => R) => (params: P): R => {
    try {
      return run(params);
    } catch (e) {
      connection.console.error(`nlmc lsp: ${what} failed (this is a bug in nlmc): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return fallback;
    }
  };
  const withDocument = <P extends { textDocument: { uri: string } }, R>(what: string, fallback: R, run: (doc: TextDocument, params: P) => R) =>
    guard<P, R>(what, fallback, (params) => {
      const doc = documents.get(params.textDocument.uri);
      return doc ? run(doc, params) : fallback;
    });

  // ---- diagnostics, debounced ----
  const pending = new Map<string, { timer?: NodeJS.Timeout; lastChange: number }>();
  const publish = guard<string, void>('diagnostics', undefined, (uri) => {
    const doc = documents.get(uri);
    if (!doc) return;
    connection.sendDiagnostics({ uri, version: doc.version, diagnostics: service.diagnostics(doc) }).catch(() => undefined);
  });
  const schedule = (uri: string): void => {
    const now = performance.now();
    const state = pending.get(uri) ?? { lastChange: -Infinity };
    if (state.timer) clearTimeout(state.timer);
    const quiet = now - state.lastChange >= debounceMs;
    state.lastChange = now;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      publish(uri);
    }, quiet ? 0 : debounceMs);
    pending.set(uri, state);
  };
  // Fired on open as well as on every change.
  documents.onDidChangeContent((e) => schedule(e.document.uri));
  documents.onDidClose((e) => {
    const state = pending.get(e.document.uri);
    if (state?.timer) clearTimeout(state.timer);
    pending.delete(e.document.uri);
    service.forget(e.document.uri);
    connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] }).catch(() => undefined);
  });

  // ---- fit results: refresh the code lenses when a run folder changes ----
  const fitStamps = new Map<string, unknown>();
  const poll = setInterval(() => {
    if (!codeLensRefresh) return;
    let changed = false;
    for (const doc of documents.all()) {
      const fit = guard<TextDocument, unknown>('fit results', undefined, (d) => service.fit(d))(doc);
      if (fitStamps.get(doc.uri) !== fit) changed = true;
      fitStamps.set(doc.uri, fit);
    }
    if (changed) connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
  }, 2000);
  poll.unref();

  connection.onInitialize((params) => {
    const init = params.initializationOptions as { debounceMs?: unknown } | undefined;
    if (typeof init?.debounceMs === 'number' && init.debounceMs >= 0) debounceMs = init.debounceMs;
    codeLensRefresh = Boolean(params.capabilities.workspace?.codeLens?.refreshSupport);
    return { capabilities, serverInfo: { name: 'nlmc' } };
  });

  connection.onHover(withDocument('hover', null, (doc, p: TextDocumentPositionParams) => service.hover(doc, p.position)));
  connection.onCompletion(withDocument('completion', [], (doc, p: CompletionParams) =>
    service.completion(doc, p.position, p.context?.triggerKind === CompletionTriggerKind.TriggerCharacter ? p.context.triggerCharacter : undefined)));
  connection.onDefinition(withDocument('definition', null, (doc, p: TextDocumentPositionParams) => service.definition(doc, p.position)));
  connection.onReferences(withDocument('references', [], (doc, p: ReferenceParams) => service.references(doc, p.position, p.context.includeDeclaration)));
  connection.onPrepareRename(withDocument('prepare rename', null, (doc, p: TextDocumentPositionParams) => service.prepareRename(doc, p.position)));
  connection.onRenameRequest(withDocument('rename', null, (doc, p: RenameParams) => service.rename(doc, p.position, p.newName)));
  connection.onDocumentSymbol(withDocument('document symbols', [], (doc) => service.documentSymbols(doc)));
  connection.languages.semanticTokens.on(withDocument('semantic tokens', { data: [] }, (doc) => service.semanticTokens(doc)));
  connection.onFoldingRanges(withDocument('folding', [], (doc) => service.foldingRanges(doc)));
  connection.onDocumentFormatting(withDocument('formatting', [], (doc) => service.formatting(doc)));
  connection.onCodeAction(withDocument('code actions', [], (doc, p: CodeActionParams) => service.codeActions(doc, p)));
  connection.onCodeLens(withDocument('code lens', [], (doc) => service.codeLenses(doc)));

  // A bug must not take the editor's server down with it: report it and carry on with the next message.
  const report = (what: string) => (e: unknown): void => {
    const text = `nlmc lsp: ${what} (this is a bug in nlmc): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    process.stderr.write(`${text}\n`);
    try {
      connection.console.error(text);
    } catch {
      // the connection is gone
    }
  };
  process.on('uncaughtException', report('uncaught exception'));
  process.on('unhandledRejection', report('unhandled rejection'));

  if (options.clientProcessId !== undefined) {
    const pid = options.clientProcessId;
    setInterval(() => {
      try {
        process.kill(pid, 0);
      } catch {
        process.exit(1);
      }
    }, 3000).unref();
  }

  documents.listen(connection);
  connection.listen();
  return connection;
}
