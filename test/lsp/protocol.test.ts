/**
 * The language server as an editor sees it: the real `nlmc lsp --stdio` process, spoken to over JSON-RPC. Cursor
 * positions are written into snippets of the example models with `<|>`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CodeActionRequest, CodeLensRequest, CompletionRequest, DefinitionRequest, DocumentFormattingRequest, DocumentSymbolRequest, FoldingRangeRequest,
  HoverRequest, PrepareRenameRequest, ReferencesRequest, RenameRequest, SemanticTokensRequest, type CompletionItem, type CompletionList, type Diagnostic,
  type DocumentSymbol, type MarkupContent, type TextEdit, type WorkspaceEdit,
} from 'vscode-languageserver-protocol';
import { compile } from '../../compiler/pipeline.js';
import { LspClient, applyEdits, at, fileUri, root } from './lsp-client.js';

const example = (path: string): { uri: string; text: string } => ({ uri: fileUri(join(root, 'examples', path)), text: readFileSync(join(root, 'examples', path), 'utf8') });
const pk = example('pk/pk.nlm');
const theo = example('theophylline/theophylline.nlm');
const tgfb = example('tgfb/tgfb.nlm');

let client: LspClient;
beforeAll(async () => {
  client = await LspClient.start({ debounceMs: 50 }, { textDocument: { codeAction: { dataSupport: true } } });
  for (const m of [pk, theo, tgfb]) await client.open(m.uri, m.text);
  for (const m of [pk, theo, tgfb]) await client.diagnostics(m.uri, 1);
}, 60_000);
afterAll(async () => {
  expect(await client.stop()).toBe(0);
});

const hoverText = async (uri: string, text: string, snippet: string): Promise<string> => {
  const h = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: at(text, snippet) });
  return h ? (h.contents as MarkupContent).value : '';
};
const labels = (r: CompletionItem[] | CompletionList | null): string[] => (Array.isArray(r) ? r : (r?.items ?? [])).map((i) => i.label);

describe('initialize', () => {
  it('announces every feature', () => {
    const caps = client.initializeResult!.capabilities;
    expect(caps).toMatchObject({
      textDocumentSync: 2, hoverProvider: true, definitionProvider: true, referencesProvider: true, renameProvider: { prepareProvider: true },
      documentSymbolProvider: true, foldingRangeProvider: true, documentFormattingProvider: true, codeActionProvider: { codeActionKinds: ['quickfix'] },
      codeLensProvider: { resolveProvider: false }, completionProvider: { resolveProvider: false },
    });
    expect(caps.semanticTokensProvider).toMatchObject({ full: true });
  });
});

describe('diagnostics', () => {
  const bad = `model bad

parameters {
  k = 1  lognormal(omega = 0.3)   # elimination rate
  V = 2  lognromal
}

states { X(0) = 1 }

ode {
  conc = X / V % concentration
  d/dt X = -kk * X
}

observe { y ~ normal(conc, sd = s) }

error { s = 0.1 }
`;
  const uri = fileUri(join(root, 'test/lsp/no-such-dir/bad.nlm'));
  const range = (line: number, start: number, end: number) => ({ start: { line, character: start }, end: { line, character: end } });

  it('publishes the exact diagnostics of a model with errors, with their fixes', async () => {
    await client.open(uri, bad);
    const published = await client.diagnostics(uri, 1);
    expect(published.version).toBe(1);
    expect(published.diagnostics).toEqual<Diagnostic[]>([
      {
        range: range(4, 9, 18), severity: 1, code: 'E210', source: 'nlmc', message: "unknown parameter modifier 'lognromal'; did you mean 'lognormal'?",
        data: { fix: { title: "Change to 'lognormal'", newText: 'lognormal', range: range(4, 9, 18) } },
      },
      { range: range(10, 15, 30), severity: 1, code: 'E100', source: 'nlmc', message: "unexpected character '%': there is no modulo; comments start with '#'" },
      {
        range: range(11, 12, 14), severity: 1, code: 'E201', source: 'nlmc', message: "unknown name 'kk'; did you mean 'k'?",
        data: { fix: { title: "Change to 'k'", newText: 'k', range: range(11, 12, 14) } },
      },
    ]);
  });

  it('offers the fixes as quick fixes, and applying them leaves only the syntax error', async () => {
    const published = await client.diagnostics(uri, 1);
    const actions = await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri }, range: range(11, 13, 13), context: { diagnostics: published.diagnostics.filter((d) => d.code === 'E201') },
    });
    expect(actions).toHaveLength(1);
    expect(actions![0]).toMatchObject({ title: "Change to 'k'", kind: 'quickfix', isPreferred: true, edit: { changes: { [uri]: [{ range: range(11, 12, 14), newText: 'k' }] } } });
    // Without diagnostics in the request, the server finds the fixes in the range itself.
    const inRange = await client.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: range(4, 0, 20), context: { diagnostics: [] } });
    expect(inRange!.map((a) => a.title)).toEqual(["Change to 'lognormal'"]);
    const edits = [...(actions![0] as { edit: WorkspaceEdit }).edit.changes![uri]!, ...(inRange![0] as { edit: WorkspaceEdit }).edit.changes![uri]!];
    const fixed = applyEdits(bad, edits);
    const version = await client.change(uri, [{ text: fixed }]);
    const after = await client.diagnostics(uri, version);
    expect(after.diagnostics.map((d) => d.code)).toEqual(['E100']);
  });

  it('follows incremental changes, and a burst of them is analysed once it pauses', async () => {
    const u = fileUri(join(root, 'test/lsp/no-such-dir/burst.nlm'));
    await client.open(u, pk.text);
    expect((await client.diagnostics(u, 1)).diagnostics).toEqual([]);
    // Break the model with five quick single-character insertions: 'theta1' → 'theta1xxxxx' in the ode block.
    const p = at(pk.text, 'theta1<|> * X1');
    let v = 1;
    for (let i = 0; i < 5; i++) v = await client.change(u, [{ range: { start: { line: p.line, character: p.character + i }, end: { line: p.line, character: p.character + i } }, text: 'x' }]);
    const last = await client.diagnostics(u, v);
    expect(last.diagnostics.map((d) => [d.code, d.message])).toEqual([['E201', "unknown name 'theta1xxxxx'"]]);
    // The first change was analysed at once, the rest together after the pause: fewer analyses than changes.
    expect(client.allPublished(u).length).toBeLessThan(6);
    await client.close(u);
  });

  it('warns about unused names in a model without errors', async () => {
    const u = fileUri(join(root, 'test/lsp/no-such-dir/unused.nlm'));
    await client.open(u, pk.text.replace('theta2 = 2.0  lognormal ', 'theta2 = 2.0  lognormal\n  spare = 1'));
    const d = await client.diagnostics(u, 1);
    expect(d.diagnostics.map((x) => [x.code, x.severity, x.tags])).toEqual([['W300', 2, [1]]]);
    await client.close(u);
  });
});

describe('hover', () => {
  it("shows a parameter's distribution, initial value, ω and doc comment", async () => {
    const text = await hoverText(pk.uri, pk.text, 'd/dt X1 = theta2 * X2 - the<|>ta1 * X1');
    expect(text).toContain('theta1 = 0.5  lognormal(omega = 0.5)');
    expect(text).toContain('**parameter** · lognormal (estimated on the log scale) · initial 0.5 · ω = 0.5: varies between subjects');
    expect(text).toContain('elimination rate of X1 (1/time); varies between subjects');
  });

  it('shows units, and works on the declaration itself', async () => {
    const text = await hoverText(theo.uri, theo.text, '  C<|>L = 0.04');
    expect(text).toContain('unit `L/h/kg`');
    expect(text).toContain('clearance per kg of body weight');
    expect(await hoverText(theo.uri, theo.text, 'central / (V * W<|>T)')).toContain('**covariate** (a column of the data) · unit `kg`');
  });

  it("shows a built-in's signature and doc", async () => {
    const text = await hoverText(tgfb.uri, tgfb.text, 'ks / nu * e<|>xp(');
    expect(text).toBe('```nlm\nexp(x)\n```\n**built-in function**\n\nThe exponential e^x.');
  });

  it('describes states, constants, definitions and time', async () => {
    expect(await hoverText(pk.uri, pk.text, 'd/dt X1 = theta2 * X<|>2')).toContain('**state** · starts at `3` · `d/dt X2 = -theta2 * X2`');
    expect(await hoverText(tgfb.uri, tgfb.text, 'a<|>(0) = 0.01')).toContain('**state** · starts at `0.01` · `d/dt a = (challenge + kac * a * c / (etaac + a * c)) * (c * m / gammaa) - kb …`');
    expect(await hoverText(tgfb.uri, tgfb.text, 'tau in pul<|>ses')).toContain('**constant** · = [50, 90, 130, 170, 210]');
    expect(await hoverText(tgfb.uri, tgfb.text, 'd/dt a = (chall<|>enge +')).toContain('**definition**');
    expect(await hoverText(tgfb.uri, tgfb.text, 'exp(-(t<|> - tau)^2')).toContain('**time**');
  });

  it('answers null where there is nothing to say', async () => {
    expect(await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri: pk.uri }, position: at(pk.text, 'para<|>meters {') })).toBeNull();
  });
});

describe('completion', () => {
  it('offers only the states after d/dt, those without an equation first', async () => {
    const u = fileUri(join(root, 'test/lsp/no-such-dir/complete.nlm'));
    const text = pk.text.replace('  d/dt X2 = -theta2 * X2\n', '  d/dt \n');
    await client.open(u, text);
    const items = await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: u }, position: at(text, '  d/dt <|>\n') });
    const list = Array.isArray(items) ? items : items!.items;
    expect([...list].sort((a, b) => a.sortText!.localeCompare(b.sortText!)).map((i) => i.label)).toEqual(['X2', 'X1']);
    await client.close(u);
  });

  it('offers names in scope, built-ins with signatures and keywords in an equation', async () => {
    const items = await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: pk.uri }, position: at(pk.text, 'd/dt X2 = -the<|>ta2') });
    const all = Array.isArray(items) ? items : items!.items;
    const names = labels(all);
    expect(names).toEqual(expect.arrayContaining(['theta1', 'theta2', 'X1', 'X2', 't', 'exp', 'hill', 'mlp', 'piecewise', 'if', 'd/dt']));
    expect(names).not.toContain('sigma'); // an error parameter belongs in an error model only
    expect(all.find((i) => i.label === 'hill')).toMatchObject({ detail: 'hill(x, k, n)', kind: 3 });
    expect(all.find((i) => i.label === 'theta1')).toMatchObject({ detail: 'parameter', documentation: 'elimination rate of X1 (1/time); varies between subjects' });
  });

  it('offers block names at the top level and modifiers in parameters', async () => {
    const top = await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: pk.uri }, position: at(pk.text, 'model pk\n<|>') });
    expect(labels(top)).toEqual(expect.arrayContaining(['parameters', 'states', 'ode', 'observe', 'error', 'dosing', 'covariates', 'constants']));
    expect(labels(top)).not.toContain('model');
    const params = await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: pk.uri }, position: at(pk.text, 'theta2 = 2.0  logn<|>ormal') });
    expect(labels(params)).toEqual(expect.arrayContaining(['lognormal', 'logitnormal', 'fixed', 'effect']));
  });

  it('offers the named arguments of mlp inside its parentheses, and the activations after activation =; each offered one compiles', async () => {
    const u = fileUri(join(root, 'test/lsp/no-such-dir/mlp-args.nlm'));
    const text = pk.text.replace('d/dt X2 = -theta2 * X2', 'd/dt X2 = -theta2 * mlp(X2, hidden = [4], activation = tanh)');
    await client.open(u, text);
    const inside = await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: u }, position: at(text, 'mlp(X2, <|>hidden') });
    const list = Array.isArray(inside) ? inside : inside!.items;
    const named = list.filter((i) => i.insertText?.endsWith(' = ')).map((i) => i.label).sort();
    expect(named).toEqual(['activation', 'hidden', 'l2']);
    expect(labels(inside)).toEqual(expect.arrayContaining(['X1', 'X2', 'theta1', 'exp'])); // the inputs are expressions
    const activation = await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: u }, position: at(text, 'activation = <|>tanh'), context: { triggerKind: 2, triggerCharacter: ' ' } });
    const words = labels(activation);
    expect(words.length).toBeGreaterThan(1);
    for (const w of words) expect(compile(text.replace('activation = tanh', `activation = ${w}`), { emit: [] }).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(compile(text.replace('activation = tanh', 'activation = relu6'), { emit: [] }).diagnostics.map((d) => d.code)).toContain('E230');
    for (const a of named.filter((a) => a !== 'hidden' && a !== 'activation')) {
      expect(compile(text.replace('hidden = [4]', `hidden = [4], ${a} = 0.01`), { emit: [] }).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    }
    // Outside the parentheses the argument names are not offered.
    const outside = await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: u }, position: at(text, 'd/dt X2 = -the<|>ta2') });
    expect(labels(outside)).not.toContain('l2');
    await client.close(u);
  });

  it('offers nothing inside a comment', async () => {
    const r = await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: pk.uri }, position: at(pk.text, '# additive resid<|>ual') });
    expect(labels(r)).toEqual([]);
  });
});

describe('definition, references, rename', () => {
  it('goes from a use to the declaration', async () => {
    const loc = await client.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri: tgfb.uri }, position: at(tgfb.text, 'challenge + kac * a * c / (eta<|>ac') });
    const decl = at(tgfb.text, '  <|>etaac  = 1');
    expect(loc).toEqual({ uri: tgfb.uri, range: { start: decl, end: { line: decl.line, character: decl.character + 5 } } });
  });

  it('finds every reference, with or without the declaration', async () => {
    const position = at(tgfb.text, '- kb * ((gamma<|>p / gammac)');
    const withDecl = await client.connection.sendRequest(ReferencesRequest.type, { textDocument: { uri: tgfb.uri }, position, context: { includeDeclaration: true } });
    const without = await client.connection.sendRequest(ReferencesRequest.type, { textDocument: { uri: tgfb.uri }, position, context: { includeDeclaration: false } });
    const count = tgfb.text.replace(/#.*/g, '').match(/\bgammap\b/g)!.length;
    expect(count).toBe(5);
    expect(withDecl).toHaveLength(count);
    expect(without).toHaveLength(count - 1);
    expect(withDecl![0]!.range.start).toEqual(at(tgfb.text, '  <|>gammap = 1'));
  });

  it('renames a parameter everywhere, and the result compiles', async () => {
    const position = at(theo.text, 'CL / V<|> * central');
    const prepared = await client.connection.sendRequest(PrepareRenameRequest.type, { textDocument: { uri: theo.uri }, position });
    expect(prepared).toMatchObject({ placeholder: 'V' });
    const edit = await client.connection.sendRequest(RenameRequest.type, { textDocument: { uri: theo.uri }, position, newName: 'Vd' });
    const edits = edit!.changes![theo.uri]!;
    expect(edits).toHaveLength(theo.text.match(/\bV\b/g)!.length);
    const renamed = applyEdits(theo.text, edits);
    expect(renamed).toContain('Vd  = 0.5   "L/kg"');
    expect(renamed).toContain('central / (Vd * WT)');
    expect(compile(renamed, { emit: [] }).diagnostics).toEqual([]);
  });

  it('refuses a name that is taken, reserved or not a name', async () => {
    const position = at(pk.text, 'the<|>ta1 = 0.5');
    for (const [newName, why] of [['theta2', 'already declared'], ['exp', 'built-in function'], ['ode', 'keyword'], ['t', 'reserved'], ['2x', 'not a name']] as const) {
      await expect(client.connection.sendRequest(RenameRequest.type, { textDocument: { uri: pk.uri }, position, newName })).rejects.toThrow(why);
    }
    expect(await client.connection.sendRequest(PrepareRenameRequest.type, { textDocument: { uri: tgfb.uri }, position: at(tgfb.text, 'nu * e<|>xp') })).toBeNull();
    expect(await client.connection.sendRequest(PrepareRenameRequest.type, { textDocument: { uri: tgfb.uri }, position: at(tgfb.text, 'exp(-(t<|> - tau)') })).toBeNull();
  });
});

describe('formatting', () => {
  it('formats a messy copy of an example back into the example', async () => {
    const u = fileUri(join(root, 'test/lsp/no-such-dir/messy.nlm'));
    const messy = pk.text.replace(/ = /g, '=').replace(/  /g, ' ').replace(/\* /g, '*').replace('\nparameters', '\n\n\nparameters').replace('}\n', '}   \n');
    expect(messy).not.toBe(pk.text);
    await client.open(u, messy);
    const edits = await client.connection.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri: u }, options: { tabSize: 2, insertSpaces: true } });
    expect(applyEdits(messy, edits as TextEdit[])).toBe(pk.text);
    await client.close(u);
  });

  it('returns no edits for a formatted model or one with syntax errors', async () => {
    expect(await client.connection.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri: tgfb.uri }, options: { tabSize: 2, insertSpaces: true } })).toEqual([]);
    const u = fileUri(join(root, 'test/lsp/no-such-dir/broken.nlm'));
    await client.open(u, 'model m\nparameters { a = }\n');
    expect(await client.connection.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri: u }, options: { tabSize: 2, insertSpaces: true } })).toEqual([]);
    await client.close(u);
  });
});

describe('outline, semantic tokens, folding', () => {
  it('lists the blocks and their declarations', async () => {
    const symbols = (await client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri: theo.uri } })) as DocumentSymbol[];
    expect(symbols.map((s) => s.name)).toEqual(['theophylline']);
    const blocks = symbols[0]!.children!;
    expect(blocks.map((b) => b.name)).toEqual(['covariates', 'parameters', 'states', 'dosing', 'ode', 'observe']);
    expect(blocks[1]!.children!.map((c) => c.name)).toEqual(['ka', 'CL', 'V']);
    expect(blocks[4]!.children!.map((c) => c.name)).toEqual(['d/dt depot', 'd/dt central']);
  });

  it('classifies tokens by meaning', async () => {
    const legend = (client.initializeResult!.capabilities.semanticTokensProvider as { legend: { tokenTypes: string[]; tokenModifiers: string[] } }).legend;
    const tokens = await client.connection.sendRequest(SemanticTokensRequest.type, { textDocument: { uri: pk.uri } });
    const decoded: { line: number; char: number; length: number; type: string; modifiers: string[] }[] = [];
    let line = 0;
    let char = 0;
    for (let i = 0; i < tokens!.data.length; i += 5) {
      const [dl, dc, length, type, mods] = tokens!.data.slice(i, i + 5) as [number, number, number, number, number];
      line += dl;
      char = dl === 0 ? char + dc : dc;
      decoded.push({ line, char, length, type: legend.tokenTypes[type]!, modifiers: legend.tokenModifiers.filter((_, k) => mods & (1 << k)) });
    }
    const lines = pk.text.split('\n');
    const of = (word: string, lineText: string) => decoded.find((d) => lines[d.line] === lineText && lines[d.line]!.slice(d.char, d.char + d.length) === word);
    expect(of('theta1', '  d/dt X1 = theta2 * X2 - theta1 * X1')).toMatchObject({ type: 'parameter', modifiers: [] });
    expect(of('X1', '  d/dt X1 = theta2 * X2 - theta1 * X1')).toMatchObject({ type: 'variable' });
    expect(of('lognormal', '  theta2 = 2.0  lognormal                # transfer rate from X2 to X1 (1/time); the same for everyone')).toMatchObject({ type: 'keyword' });
    expect(of('sigma', '  sigma = 0.2   # additive residual standard deviation')).toMatchObject({ type: 'parameter', modifiers: ['declaration'] });
    expect(of('pk', 'model pk')).toMatchObject({ type: 'namespace', modifiers: ['declaration'] });
    expect(decoded.filter((d) => d.type === 'comment')).toHaveLength(7);
  });

  it('folds blocks and comment runs', async () => {
    const ranges = await client.connection.sendRequest(FoldingRangeRequest.type, { textDocument: { uri: pk.uri } });
    expect(ranges).toEqual(expect.arrayContaining([{ startLine: 0, endLine: 1, kind: 'comment' }, { startLine: 4, endLine: 6 }, { startLine: 14, endLine: 16 }]));
  });
});

describe('fit-aware hover and code lens', () => {
  it('shows estimates beside the model, and marks them stale once the model changes', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'nlmc-lsp-fit-'));
    const file = join(dir, 'pk.nlm');
    writeFileSync(file, pk.text);
    mkdirSync(join(dir, 'pk.fit'));
    writeFileSync(join(dir, 'pk.fit', 'estimates.json'), JSON.stringify({
      model: 'pk', complete: true, stop: 'converged', epochs: 812, elbo: -1234.56, likelihood: { minus2LL: 2469.1, aic: 2479.1, bic: 2488.3, mcError: 0.42, estimator: 'importance' },
      estimates: [
        { name: 'theta1', kind: 'parameter', estimate: 0.4812, se: 0.0301, ciLower: 0.4222, ciUpper: 0.5402, fixed: false, initial: 0.5 },
        { name: 'theta2', kind: 'parameter', estimate: 2.03, fixed: false, initial: 2, se: null, rse: null, ciLower: null, ciUpper: null },
        { name: 'omega_theta1', kind: 'omega', estimate: 0.47, se: 0.05, fixed: false, initial: 0.5 },
        { name: 'sigma', kind: 'error', estimate: 0.19, rse: 4.2, fixed: false, initial: 0.2 },
      ],
    }));
    writeFileSync(join(dir, 'pk.fit', 'fit.json'), JSON.stringify({ format: 'nlmc-fit/1', createdAt: '2025-03-04T05:06:07.000Z', model: { name: 'pk', source: pk.text } }));
    const uri = fileUri(file);
    await client.open(uri, pk.text);
    const hover = await hoverText(uri, pk.text, 'the<|>ta1 = 0.5');
    expect(hover).toContain('**Fit** (2025-03-04 05:06 UTC)');
    expect(hover).toContain('estimate **0.4812** · SE 0.0301 · RSE 6.255 % · 95 % CI [0.4222, 0.5402]');
    expect(hover).toContain('ω **0.47** · SE 0.05 · RSE 10.64 %');
    expect(await hoverText(uri, pk.text, 'sig<|>ma = 0.2')).toContain('estimate **0.19** · RSE 4.2 %');
    const lenses = await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
    expect(lenses).toEqual([{ range: { start: { line: 4, character: 0 }, end: { line: 4, character: 10 } }, command: { title: 'Fit: −2LL 2469 ± 0.42 · AIC 2479 · BIC 2488 · 812 epochs · 2025-03-04 05:06 UTC', command: '' } }]);

    // Without −2LL the lens shows the ELBO; after an edit everything says the fit is stale.
    const est = JSON.parse(readFileSync(join(dir, 'pk.fit', 'estimates.json'), 'utf8'));
    est.likelihood = null;
    writeFileSync(join(dir, 'pk.fit', 'estimates.json'), JSON.stringify(est, null, 1));
    const version = await client.change(uri, [{ range: { start: at(pk.text, 'theta1 = 0.5<|>'), end: at(pk.text, 'theta1 = 0.5<|>') }, text: '5' }]);
    await client.diagnostics(uri, version);
    const stale = await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
    expect(stale![0]!.command!.title).toBe('⚠ Stale fit (the model has changed since): ELBO -1235 · 812 epochs · 2025-03-04 05:06 UTC');
    const changed = pk.text.replace('theta1 = 0.5', 'theta1 = 0.55');
    expect(await hoverText(uri, changed, 'the<|>ta1 = 0.55')).toContain('**Fit** ⚠ *stale: the model has changed since this fit* (2025-03-04 05:06 UTC)');
    await client.close(uri);
  });

  it('has no lens without a run folder', async () => {
    expect(await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri: fileUri(join(root, 'test/lsp/no-such-dir/bad.nlm')) } })).toEqual([]);
  });
});
