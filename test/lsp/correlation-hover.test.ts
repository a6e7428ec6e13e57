/** Hover on correlated random effects: the `correlation` word (what it means, and the fit's ρ with its interval) and the parameters it links. */
import { readFileSync } from 'node:fs';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../lsp/analysis.js';
import type { FitSummary } from '../../lsp/fit-results.js';
import { hover } from '../../lsp/providers/hover.js';

const text = readFileSync(new URL('../uq/fixtures/corr1cpt/corr1cpt.nlm', import.meta.url), 'utf8');
const analysis = analyze(TextDocument.create('file:///corr1cpt.nlm', 'nlm', 1, text));
const valueAt = (snippet: string, fit?: FitSummary): string => {
  const offset = text.indexOf(snippet.replace('<|>', '')) + snippet.indexOf('<|>');
  const h = hover(analysis, offset, fit);
  return h ? (h.contents as { value: string }).value : '';
};

describe('hover on correlations', () => {
  it('the correlation word says what it is and where it starts', () => {
    const v = valueAt('corr<|>elation(CL, V)');
    expect(v).toContain('correlation of random effects');
    expect(v).toContain("Fisher's z");
    expect(v).toContain('`CL` and `V` start at correlation 0');
  });

  it("with a fit, the estimated ρ with its SE and interval", () => {
    const fit: FitSummary = { folder: '/x', estimates: new Map([['corr_CL_V', { name: 'corr_CL_V', kind: 'correlation', estimate: 0.536, se: 0.074, ciLower: 0.375, ciUpper: 0.665 }]]), source: text };
    const v = valueAt('corr<|>elation(CL, V)', fit);
    expect(v).toMatch(/estimate \*\*0\.536\*\* · SE 0\.074/);
    expect(v).toContain('0.375');
  });

  it('a parameter names the effects its own is correlated with', () => {
    expect(valueAt('  C<|>L = 2')).toContain('random effect correlated with `V` (0)');
    expect(valueAt('correlation(CL, <|>V)')).toContain('random effect correlated with `CL` (0)');
  });
});
