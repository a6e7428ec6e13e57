/**
 * A code lens above `parameters` summarising the model's last fit (its run folder `model.fit/`): −2LL (± its
 * Monte-Carlo error), AIC and BIC when the uncertainty step ran, else the ELBO; the epochs, the date; and whether the
 * model has changed since.
 */
import type { CodeLens } from 'vscode-languageserver';
import type { Analysis } from '../analysis.js';
import { toLspRange } from '../convert.js';
import { formatDate, formatNumber, isStale, type FitSummary } from '../fit-results.js';

export function fitSummaryTitle(fit: FitSummary, text: string): string {
  const parts: string[] = [];
  if (fit.minus2LL !== undefined) parts.push(`−2LL ${formatNumber(fit.minus2LL)}${fit.mcError !== undefined ? ` ± ${formatNumber(fit.mcError)}` : ''}`);
  if (fit.aic !== undefined) parts.push(`AIC ${formatNumber(fit.aic)}`);
  if (fit.bic !== undefined) parts.push(`BIC ${formatNumber(fit.bic)}`);
  if (parts.length === 0 && fit.elbo !== undefined) parts.push(`ELBO ${formatNumber(fit.elbo)}`);
  if (fit.epochs !== undefined) parts.push(`${fit.epochs} epochs`);
  const when = formatDate(fit.createdAt);
  if (when) parts.push(when);
  if (fit.complete === false) parts.push(`incomplete${fit.stop ? ` (${fit.stop})` : ''}`);
  const head = isStale(fit, text) ? '⚠ Stale fit (the model has changed since)' : 'Fit';
  return `${head}: ${parts.join(' · ')}`;
}

export function codeLenses(analysis: Analysis, fit: FitSummary | undefined): CodeLens[] {
  if (!fit) return [];
  const block = analysis.result.ast.blocks.find((b) => b.kind === 'parameters');
  if (!block) return [];
  return [{ range: toLspRange(analysis.document, block.keywordRange), command: { title: fitSummaryTitle(fit, analysis.text), command: '' } }];
}
