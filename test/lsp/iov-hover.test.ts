/** Hover on inter-occasion variability: the `iov` and `occasions` words, and a parameter that varies by occasion (with a fit's ω_iov). */
import { TextDocument } from 'vscode-languageserver-textdocument';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../lsp/analysis.js';
import type { FitSummary } from '../../lsp/fit-results.js';
import { hover } from '../../lsp/providers/hover.js';

const text = `model iov
covariates { PERIOD occasions(2) }
parameters {
  CL = 3 lognormal(omega = 0.3) iov(omega = 0.15)
  V = 30 lognormal
}
states { central }
dosing { input iv -> central }
ode { d/dt central = -CL / V * central }
observe { y ~ normal(central / V, sd = sigma) }
error { sigma = 0.1 }
`;
const analysis = analyze(TextDocument.create('file:///iov.nlm', 'nlm', 1, text));
const valueAt = (snippet: string, fit?: FitSummary): string => {
  const offset = text.indexOf(snippet.replace('<|>', '')) + snippet.indexOf('<|>');
  const h = hover(analysis, offset, fit);
  return h ? (h.contents as { value: string }).value : '';
};
const fit: FitSummary = { folder: '/x', estimates: new Map([['omega_iov_CL', { name: 'omega_iov_CL', kind: 'omega', estimate: 0.246, se: 0.018, ciLower: 0.213, ciUpper: 0.284 }]]), source: text };

describe('hover on inter-occasion variability', () => {
  it('the iov word says what it means, and with a fit the estimated ω_iov', () => {
    expect(valueAt('i<|>ov(omega')).toContain('inter-occasion variability');
    expect(valueAt('i<|>ov(omega', fit)).toMatch(/ω_iov \*\*0\.246\*\* · SE 0\.018/);
  });

  it('the occasions word names the column it makes', () => {
    expect(valueAt('PERIOD occ<|>asions')).toContain('occasion column');
  });

  it('the parameter says it varies between occasions of the declared column', () => {
    const v = valueAt('  C<|>L = 3', fit);
    expect(v).toContain('ω_iov = 0.15: varies between occasions (`PERIOD`)');
    expect(v).toMatch(/ω_iov \*\*0\.246\*\*/);
  });
});
