/**
 * Robustness: seeded random edits (insertions of plausible and implausible text, deletions, truncations) of the example
 * models, with requests at random positions after each. 10,000 edits go through the language service in-process (the
 * same provider code the server runs, without JSON-RPC) and 1,000 through the real server process, in batches; the server
 * must answer everything, never crash or hang, and publish the same diagnostics as the in-process service.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  CodeActionRequest, CompletionRequest, DefinitionRequest, DocumentFormattingRequest, DocumentSymbolRequest, FoldingRangeRequest, HoverRequest,
  ReferencesRequest, SemanticTokensRequest, type Position,
} from 'vscode-languageserver-protocol';
import { describe, expect, it } from 'vitest';
import { LanguageService } from '../../lsp/service.js';
import { LspClient, fileUri, root } from './lsp-client.js';
import { applyEdit, random, randomEdit } from './random-edits.js';

const examples = ['pk/pk.nlm', 'antibody/antibody.nlm', 'antibody/antibody-times.nlm', 'tgfb/tgfb.nlm', 'theophylline/theophylline.nlm'].map((e) =>
  readFileSync(join(root, 'examples', e), 'utf8'));

const inside = (doc: TextDocument, p: Position): boolean => doc.offsetAt(p) <= doc.getText().length && p.line >= 0 && p.character >= 0;

describe('random edits', () => {
  it('10,000 edits in-process: every provider answers, quickly, with well-formed results', async () => {
    const rand = random(7);
    const service = new LanguageService();
    const uri = 'file:///nonexistent/fuzz.nlm';
    let doc = TextDocument.create(uri, 'nlm', 1, examples[0]!);
    let slowest = 0;
    let published = 0;
    const start = performance.now();
    for (let i = 0; i < 10_000; i++) {
      // A fresh example now and then, so that the text stays close to a model as well as drifting far from one.
      if (i % 150 === 0) {
        doc = TextDocument.create(uri, 'nlm', 1, examples[Math.floor(rand() * examples.length)]!);
        await new Promise((r) => setImmediate(r)); // let the test runner's messages through
      }
      applyEdit(doc, randomEdit(doc.getText(), rand), doc.version + 1);
      const t0 = performance.now();
      const diagnostics = service.diagnostics(doc);
      published += diagnostics.length;
      for (const d of diagnostics) {
        expect(inside(doc, d.range.start) && inside(doc, d.range.end)).toBe(true);
        expect(doc.offsetAt(d.range.start)).toBeLessThanOrEqual(doc.offsetAt(d.range.end));
      }
      const position = doc.positionAt(Math.floor(rand() * (doc.getText().length + 1)));
      service.hover(doc, position);
      service.completion(doc, position);
      service.definition(doc, position);
      service.references(doc, position, true);
      service.prepareRename(doc, position);
      if (i % 5 === 0) {
        service.documentSymbols(doc);
        const tokens = service.semanticTokens(doc);
        expect(tokens.data.length % 5).toBe(0);
        expect(tokens.data.every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
        service.foldingRanges(doc).forEach((f) => expect(f.endLine).toBeGreaterThan(f.startLine));
        service.codeLenses(doc);
        service.codeActions(doc, { textDocument: { uri }, range: { start: position, end: position }, context: { diagnostics } });
      }
      if (i % 10 === 0) {
        service.formatting(doc);
        service.rename(doc, position, rand() < 0.5 ? 'renamed_x' : 'exp');
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    const seconds = (performance.now() - start) / 1000;
    console.log(`in-process: 10000 edits in ${seconds.toFixed(1)} s, slowest edit ${slowest.toFixed(0)} ms, ${published} diagnostics`);
    expect(slowest).toBeLessThan(2000);
    expect(published).toBeGreaterThan(10_000);
  }, 120_000);

  it('1,000 edits through the server process: it always answers and agrees with the in-process service', async () => {
    const client = await LspClient.start({ debounceMs: 20 });
    const rand = random(11);
    const service = new LanguageService();
    const batches = 40;
    const perBatch = 25;
    let answered = 0;
    try {
      for (let b = 0; b < batches; b++) {
        const uri = fileUri(join(root, `test/lsp/no-such-dir/fuzz-${b}.nlm`));
        const mirror = TextDocument.create(uri, 'nlm', 1, examples[b % examples.length]!);
        await client.open(uri, mirror.getText());
        const pending: Promise<unknown>[] = [];
        for (let k = 0; k < perBatch; k++) {
          const change = applyEdit(mirror, randomEdit(mirror.getText(), rand), mirror.version + 1);
          await client.change(uri, [change]);
          const textDocument = { uri };
          const position = mirror.positionAt(Math.floor(rand() * (mirror.getText().length + 1)));
          pending.push(
            client.connection.sendRequest(HoverRequest.type, { textDocument, position }),
            client.connection.sendRequest(CompletionRequest.type, { textDocument, position }),
            client.connection.sendRequest(DefinitionRequest.type, { textDocument, position }),
            client.connection.sendRequest(ReferencesRequest.type, { textDocument, position, context: { includeDeclaration: true } }),
          );
          if (k % 4 === 0) {
            pending.push(
              client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument }),
              client.connection.sendRequest(SemanticTokensRequest.type, { textDocument }),
              client.connection.sendRequest(FoldingRangeRequest.type, { textDocument }),
              client.connection.sendRequest(DocumentFormattingRequest.type, { textDocument, options: { tabSize: 2, insertSpaces: true } }),
              client.connection.sendRequest(CodeActionRequest.type, { textDocument, range: { start: position, end: position }, context: { diagnostics: [] } }),
            );
          }
        }
        const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`batch ${b}: no answer within 20 s (hung?); stderr: ${client.stderr.join('')}`)), 20_000));
        await Promise.race([Promise.all(pending), timeout]);
        answered += pending.length;
        // The diagnostics of the last version are those the in-process service computes for the same text.
        const published = await client.diagnostics(uri, mirror.version);
        expect(published.diagnostics).toEqual(service.diagnostics(mirror));
        await client.close(uri);
      }
      expect(client.process.exitCode).toBeNull();
      expect(client.logs.filter((l) => l.type === 1)).toEqual([]);
      console.log(`server process: ${batches * perBatch} edits, ${answered} requests answered`);
    } finally {
      expect(await client.stop()).toBe(0);
    }
  }, 120_000);
});
