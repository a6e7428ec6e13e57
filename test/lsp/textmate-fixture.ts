/**
 * The engine VS Code highlights with: vscode-textmate over the Oniguruma regular expressions of vscode-oniguruma
 * (its onig.wasm loaded from node_modules), with the committed grammar file.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import oniguruma from 'vscode-oniguruma';
import textmate from 'vscode-textmate';
import { root } from './lsp-client.js';

export interface ScopedToken {
  readonly line: number;
  readonly start: number;
  readonly end: number;
  readonly text: string;
  /** The innermost scope (the last one). */
  readonly scope: string;
  readonly scopes: readonly string[];
}

let loaded: Promise<textmate.IGrammar> | undefined;

export function loadGrammar(path = join(root, 'grammar/textmate/nlm.tmLanguage.json')): Promise<textmate.IGrammar> {
  loaded ??= (async () => {
    const wasm = readFileSync(join(createRequire(import.meta.url).resolve('vscode-oniguruma'), '../onig.wasm'));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
    const registry = new textmate.Registry({
      onigLib: Promise.resolve({ createOnigScanner: (p: string[]) => new oniguruma.OnigScanner(p), createOnigString: (s: string) => new oniguruma.OnigString(s) }),
      loadGrammar: async (scopeName: string) => (scopeName === 'source.nlm' ? textmate.parseRawGrammar(readFileSync(path, 'utf8'), path) : null),
    });
    const grammar = await registry.loadGrammar('source.nlm');
    if (!grammar) throw new Error('the grammar did not load');
    return grammar;
  })();
  return loaded;
}

/** Every token of `text` with its scopes; whitespace-only tokens left out. */
export function tokenize(grammar: textmate.IGrammar, text: string): ScopedToken[] {
  const out: ScopedToken[] = [];
  let state = textmate.INITIAL;
  text.split(/\r?\n/).forEach((line, i) => {
    const r = grammar.tokenizeLine(line, state);
    for (const t of r.tokens) {
      const piece = line.slice(t.startIndex, t.endIndex);
      if (piece.trim() === '') continue;
      out.push({ line: i, start: t.startIndex, end: t.endIndex, text: piece, scope: t.scopes[t.scopes.length - 1]!, scopes: t.scopes });
    }
    state = r.ruleStack;
  });
  return out;
}
