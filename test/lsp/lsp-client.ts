/**
 * A real client for the real server: spawns `node --import tsx cli/main.ts lsp --stdio` and speaks JSON-RPC to it over
 * its stdin/stdout (vscode-languageserver-protocol on the client side; nothing mocked).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  DidChangeTextDocumentNotification, DidCloseTextDocumentNotification, DidOpenTextDocumentNotification, ExitNotification, InitializeRequest,
  InitializedNotification, LogMessageNotification, PublishDiagnosticsNotification, ShutdownRequest, StreamMessageReader, StreamMessageWriter, createProtocolConnection,
  type InitializeResult, type Position, type ProtocolConnection, type PublishDiagnosticsParams, type TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol/node';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export function fileUri(path: string): string {
  return pathToFileURL(path).toString();
}

/** Text with one or more `<|>` cursor markers: the text without them and the markers' positions. */
export function marked(text: string): { text: string; positions: Position[]; position: Position } {
  const positions: Position[] = [];
  let out = '';
  let rest = text;
  for (;;) {
    const i = rest.indexOf('<|>');
    if (i < 0) break;
    out += rest.slice(0, i);
    rest = rest.slice(i + 3);
    const lines = out.split('\n');
    positions.push({ line: lines.length - 1, character: lines[lines.length - 1]!.length });
  }
  out += rest;
  if (positions.length === 0) throw new Error('no <|> marker');
  return { text: out, positions, position: positions[0]! };
}

export class LspClient {
  readonly connection: ProtocolConnection;
  readonly stderr: string[] = [];
  /** The server's window/logMessage notifications (its console). */
  readonly logs: { type: number; message: string }[] = [];
  initializeResult?: InitializeResult;
  private readonly published = new Map<string, PublishDiagnosticsParams[]>();
  private readonly waiters: { uri: string; version: number | undefined; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  private readonly versions = new Map<string, number>();

  private constructor(readonly process: ChildProcessWithoutNullStreams) {
    this.connection = createProtocolConnection(new StreamMessageReader(process.stdout), new StreamMessageWriter(process.stdin));
    process.stderr.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      const list = this.published.get(p.uri) ?? [];
      list.push(p);
      this.published.set(p.uri, list);
      for (const w of [...this.waiters]) {
        if (w.uri === p.uri && (w.version === undefined || p.version === w.version)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(p);
        }
      }
    });
    this.connection.onNotification(LogMessageNotification.type, (p) => {
      this.logs.push(p);
    });
    this.connection.listen();
  }

  /** Starts the server and completes the initialize handshake. */
  static async start(
    initializationOptions: Record<string, unknown> = {}, capabilities: Record<string, unknown> = {},
    /** Node's arguments: by default the TypeScript sources through tsx. */
    nodeArgs: readonly string[] = ['--import', 'tsx', join(root, 'cli/main.ts'), 'lsp', '--stdio'],
  ): Promise<LspClient> {
    const child = spawn(process.execPath, [...nodeArgs], { cwd: root, stdio: 'pipe' });
    const client = new LspClient(child);
    client.initializeResult = await client.connection.sendRequest(InitializeRequest.type, {
      processId: process.pid, rootUri: fileUri(root), capabilities, initializationOptions, workspaceFolders: null,
    });
    await client.connection.sendNotification(InitializedNotification.type, {});
    return client;
  }

  async open(uri: string, text: string): Promise<void> {
    this.versions.set(uri, 1);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'nlm', version: 1, text } });
  }

  /** Sends a change and returns its version. */
  async change(uri: string, changes: TextDocumentContentChangeEvent[]): Promise<number> {
    const version = (this.versions.get(uri) ?? 0) + 1;
    this.versions.set(uri, version);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: changes });
    return version;
  }

  async close(uri: string): Promise<void> {
    await this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  /** The next diagnostics published for `uri` (for `version` if given; already received ones count). */
  diagnostics(uri: string, version?: number, timeoutMs = 20_000): Promise<PublishDiagnosticsParams> {
    const got = (this.published.get(uri) ?? []).find((p) => version === undefined || p.version === version);
    if (got) return Promise.resolve(got);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri} v${version} within ${timeoutMs} ms; stderr: ${this.stderr.join('')}`)), timeoutMs);
      this.waiters.push({ uri, version, resolve: (p) => { clearTimeout(timer); resolve(p); } });
    });
  }

  /** Every diagnostics notification received for `uri`. */
  allPublished(uri: string): readonly PublishDiagnosticsParams[] {
    return this.published.get(uri) ?? [];
  }

  async stop(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => this.process.once('exit', (code) => resolve(code)));
    try {
      await this.connection.sendRequest(ShutdownRequest.type);
      await this.connection.sendNotification(ExitNotification.type);
    } catch {
      this.process.kill();
    }
    const timer = setTimeout(() => this.process.kill(), 5000);
    const code = await exited;
    clearTimeout(timer);
    this.connection.dispose();
    return code;
  }
}

/**
 * The position of the `<|>` in `snippet`, a piece of `text` with a cursor marker, e.g. `d/dt X1 = the<|>ta2 * X2`.
 * The snippet (without its marker) must occur exactly once in the text.
 */
export function at(text: string, snippet: string): Position {
  const i = snippet.indexOf('<|>');
  if (i < 0) throw new Error(`no <|> in ${snippet}`);
  const plain = snippet.slice(0, i) + snippet.slice(i + 3);
  const found = text.indexOf(plain);
  if (found < 0 || text.indexOf(plain, found + 1) >= 0) throw new Error(`'${plain}' occurs ${found < 0 ? 'nowhere' : 'more than once'} in the text`);
  const before = text.slice(0, found + i).split('\n');
  return { line: before.length - 1, character: before[before.length - 1]!.length };
}

/** Applies protocol text edits to `text` (as a client does). */
export function applyEdits(text: string, edits: readonly { range: { start: Position; end: Position }; newText: string }[]): string {
  const lines = text.split('\n');
  const offset = (p: Position): number => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}
