/**
 * The language's own words through the real server: hover on distributions, error models, `if`, `piecewise` and `sum`;
 * "did you mean" and its quick fix for an unknown function the compiler has no guess for (`logten`); completion
 * asked for by typed characters (after `d/dt `, `~ `, `sd = `, `d/`, `(`), and nothing popped up by a space elsewhere.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CodeActionRequest, CompletionRequest, CompletionTriggerKind, HoverRequest, type CompletionItem, type CompletionList, type MarkupContent, type WorkspaceEdit,
} from 'vscode-languageserver-protocol';
import { compile } from '../../compiler/pipeline.js';
import { equivalentFunction } from '../../lsp/function-suggestion.js';
import { LspClient, applyEdits, at, fileUri, root } from './lsp-client.js';

const model = `model words

constants { pulses = [10, 20] }

parameters {
  ka = 1.5  lognormal(omega = 0.6)        # absorption
  F = 0.8  in (0, 1)  logitnormal          # bioavailability
  p = 0.3  probitnormal(omega = 0.2 fixed)
  shift = 0  normal
  t2 = 5
}

states { A(0) = 1  B }

ode {
  gate = piecewise(t < t2: 1, otherwise: F)
  pulse = sum(tau in pulses: exp(-(t - tau)^2))
  d/dt A = -ka * A * gate + pulse
  d/dt B = if t < t2 then ka * A else shift * B
}

observe {
  y1 ~ normal(A, sd = constant(a1 = 0.1))
  y2 ~ normal(B, sd = proportional(b2 = 0.2))
  y3 ~ normal(A + B, sd = combined1(a3 = 0.1, b3 = 0.1))
  y4 ~ normal(A - B, sd = combined(a4 = 0.1, b4 = 0.1))
  y5 ~ normal(p * A, sd = combined2(a5 = 0.1, b5 = 0.1))
}
`;

const uri = fileUri(join(root, 'test/lsp/no-such-dir/words.nlm'));
let client: LspClient;
beforeAll(async () => {
  expect(compile(model, { emit: [] }).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  client = await LspClient.start({ debounceMs: 50 }, { textDocument: { codeAction: { dataSupport: true } } });
  await client.open(uri, model);
  await client.diagnostics(uri, 1);
}, 60_000);
afterAll(async () => {
  expect(await client.stop()).toBe(0);
});

const hover = async (snippet: string, text = model, u = uri): Promise<string> => {
  const h = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri: u }, position: at(text, snippet) });
  return h ? (h.contents as MarkupContent).value : '';
};

describe('hover on the language’s words', () => {
  it('explains each parameter distribution, with what it means for that parameter', async () => {
    const ka = await hover('ka = 1.5  logno<|>rmal');
    expect(ka).toContain('**parameter distribution**');
    expect(ka).toContain('ψᵢ = exp(φ + effects + ηᵢ)');
    expect(ka).toContain('`ka` starts at 1.5 (φ = log 1.5 = 0.4055); ω = 0.6: varies between subjects.');
    const f = await hover('in (0, 1)  logit<|>normal');
    expect(f).toContain('ψᵢ = l + (u − l)·expit(φ + effects + ηᵢ)');
    expect(f).toContain('`F` starts at 0.8 (φ = logit((0.8 − 0)/(1 − 0)) = 1.386); no ω: the same for every subject.');
    const p = await hover('p = 0.3  probit<|>normal');
    expect(p).toContain('Φ the standard normal CDF');
    expect(p).toContain('`p` starts at 0.3; ω = 0.2 (fixed): varies between subjects.');
    const shift = await hover('shift = 0  nor<|>mal');
    expect(shift).toContain('ψᵢ = φ + effects + ηᵢ');
  });

  it('explains the observation distribution and each error model', async () => {
    expect(await hover('y1 ~ nor<|>mal')).toContain('**observation distribution**');
    const cases: [string, string][] = [
      ['sd = const<|>ant(', 'sd = a, the same for every prediction'],
      ['sd = propor<|>tional(', 'sd = b·|f|'],
      ['sd = combi<|>ned1(', 'sd = a + b·|f|'],
      ['sd = combi<|>ned(a4', 'sd = √(a² + b²f²)'],
      ['sd = combi<|>ned2(', 'sd = √(a² + b²f²)'],
    ];
    for (const [snippet, sd] of cases) {
      const text = await hover(snippet);
      expect(text, snippet).toContain('**error model**');
      expect(text, snippet).toContain(sd);
    }
    expect(await hover('sd = combi<|>ned(a4')).toContain('`y4`: `sd = combined(a4 = 0.1, b4 = 0.1)`');
  });

  it('explains piecewise, sum and if, on each of their keywords', async () => {
    expect(await hover('gate = piece<|>wise(')).toContain('piecewise(c1: v1, c2: v2, ..., otherwise: v)');
    expect(await hover('otherw<|>ise: F')).toContain('The value of the first case whose condition holds');
    expect(await hover('pulse = su<|>m(')).toContain('sum(v in list: expr)');
    for (const s of ['= i<|>f t < t2', 'then<|> ka * A', 'el<|>se shift']) expect(await hover(s), s).toContain('if condition then a else b');
  });

  it('still describes the names inside those forms, not the form', async () => {
    expect(await hover('piecewise(t < t<|>2: 1')).toContain('**parameter**');
    expect(await hover('sum(tau in pul<|>ses')).toContain('**constant**');
  });
});

describe('an unknown function the compiler has no guess for', () => {
  it('finds the equivalent built-in: digits spelled out, and other languages’ names', () => {
    expect(['logten', 'log_ten', 'ln', 'pnorm', 'inv_logit', 'Phi'].map(equivalentFunction)).toEqual(['log10', 'log10', 'log', 'normcdf', 'expit', 'normcdf']);
    expect(['logtwo', 'frobnicate', 'one'].map(equivalentFunction)).toEqual([undefined, undefined, undefined]);
  });

  it("says \"did you mean 'log10'\" and offers the quick fix, which compiles", async () => {
    const u = fileUri(join(root, 'test/lsp/no-such-dir/logten.nlm'));
    const text = model.replace('exp(-(t - tau)^2)', 'logten(1 + (t - tau)^2)');
    await client.open(u, text);
    const published = await client.diagnostics(u, 1);
    const p = at(text, '<|>logten(');
    const range = { start: p, end: { line: p.line, character: p.character + 6 } };
    expect(published.diagnostics).toEqual([
      { range, severity: 1, code: 'E203', source: 'nlmc', message: "unknown function 'logten'; did you mean 'log10'?", data: { fix: { title: "Change to 'log10'", newText: 'log10', range } } },
    ]);
    const actions = await client.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri: u }, range, context: { diagnostics: published.diagnostics } });
    expect(actions!.map((a) => a.title)).toEqual(["Change to 'log10'"]);
    const fixed = applyEdits(text, (actions![0] as { edit: WorkspaceEdit }).edit.changes![u]!);
    expect(fixed).toBe(model.replace('exp(-(t - tau)^2)', 'log10(1 + (t - tau)^2)'));
    expect(compile(fixed, { emit: [] }).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    await client.close(u);
  });

  it('leaves the compiler’s own guess alone', async () => {
    const u = fileUri(join(root, 'test/lsp/no-such-dir/expp.nlm'));
    const text = model.replace('exp(-(t - tau)^2)', 'expp(-(t - tau)^2)');
    await client.open(u, text);
    const d = (await client.diagnostics(u, 1)).diagnostics;
    expect(d.map((x) => x.message)).toEqual(["unknown function 'expp'; did you mean 'exp'?"]);
    await client.close(u);
  });
});

describe('completion as characters are typed', () => {
  const labels = (r: CompletionItem[] | CompletionList | null): string[] => (Array.isArray(r) ? r : (r?.items ?? [])).map((i) => i.label);
  const complete = async (text: string, snippet: string, triggerCharacter?: string): Promise<string[]> => {
    const u = fileUri(join(root, 'test/lsp/no-such-dir/typing.nlm'));
    await client.open(u, text);
    const context = triggerCharacter ? { triggerKind: CompletionTriggerKind.TriggerCharacter, triggerCharacter } : { triggerKind: CompletionTriggerKind.Invoked };
    const r = await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: u }, position: at(text, snippet), context });
    await client.close(u);
    return labels(r);
  };

  it('announces the trigger characters', () => {
    expect(client.initializeResult!.capabilities.completionProvider!.triggerCharacters).toEqual([' ', '(', '/', ',']);
  });

  it("offers the states after 'd/dt ', and completes 'd/' to 'd/dt'", async () => {
    expect((await complete(model.replace('  d/dt B = ', '  d/dt  = '), '  d/dt <|> = ', ' ')).sort()).toEqual(['A', 'B']);
    expect(await complete(model.replace('  d/dt B = ', '  d/ = '), '  d/<|> = ', '/')).toEqual(['dt']);
  });

  it("offers 'normal' after '~ ', and error parameters and models after 'sd = '", async () => {
    expect(await complete(model.replace('y1 ~ normal(A, sd = constant(a1 = 0.1))', 'y1 ~ '), 'y1 ~ <|>', ' ')).toEqual(['normal']);
    const sd = await complete(model.replace('sd = constant(a1 = 0.1)', 'sd = '), 'sd = <|>)', ' ');
    expect(sd).toEqual(expect.arrayContaining(['constant', 'proportional', 'combined', 'combined1', 'combined2', 'b2', 'a3']));
    expect(sd).not.toContain('ka');
  });

  it("offers expressions after '(' and '/' in an equation, and nothing for a space elsewhere", async () => {
    expect(await complete(model.replace('-ka * A * gate', '-ka * exp( * gate'), 'exp(<|> * gate', '(')).toEqual(expect.arrayContaining(['ka', 'A', 'log10', 'piecewise']));
    expect(await complete(model.replace('-ka * A * gate', '-ka / * gate'), '-ka /<|> * gate', '/')).toEqual(expect.arrayContaining(['ka', 'A', 'exp']));
    expect(await complete(model, '-ka <|>* A', ' ')).toEqual([]);
    expect(await complete(model, 'model <|>words', ' ')).toEqual([]);
    // Asked for (not typed), the same place offers everything.
    expect(await complete(model, '-ka <|>* A')).toEqual(expect.arrayContaining(['ka', 'exp']));
  });
});
