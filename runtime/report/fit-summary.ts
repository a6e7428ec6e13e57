/**
 * The text `nlmc fit` prints after a fit: the estimates (beside the ELBO optimum when the maximum-likelihood finish
 * ran), their standard errors and intervals, and the likelihood block.
 */
import type { ModelIR } from '../../compiler/ir/model-ir.js';
import type { PopulationLayout } from '../infer/population.js';
import type { MaximumLikelihoodEstimate } from '../uq/ml-estimate.js';
import type { UncertaintyResult } from '../uq/uncertainty.js';
import { estimateRows, type EstimateRow } from './estimates.js';
import { covarianceOf, standardErrors } from './fit-outputs.js';

/** The summary: `reported` is the estimate (the MLE with the finish), `elboOptimum` the variational optimum. */
export function fitSummaryText(
  ir: ModelIR, layout: PopulationLayout, elboOptimum: Float64Array, reported: Float64Array,
  uncertainty: UncertaintyResult | undefined, ml: MaximumLikelihoodEstimate | undefined,
): string {
  const rows = estimateRows(ir, layout, reported, standardErrors(uncertainty), covarianceOf(uncertainty));
  // With the maximum-likelihood finish, the variational optimum it started from is shown beside it.
  const elboRows = ml ? estimateRows(ir, layout, elboOptimum) : undefined;
  return [estimatesTable(rows, elboRows), uncertainty?.likelihood && uncertainty.covariance?.ok ? uncertaintyTable(rows) : '', likelihoodLine(uncertainty, ml !== undefined)].join('');
}

function estimatesTable(rows: readonly EstimateRow[], elboRows: readonly EstimateRow[] | undefined): string {
  const head = `\n${'parameter'.padEnd(16)} ${(elboRows ? 'ML estimate' : 'estimate').padStart(12)}${elboRows ? ` ${'ELBO optimum'.padStart(12)}` : ''}  ${'initial'.padStart(10)}\n`;
  const lines = rows.map((r, k) => `${r.name.padEnd(16)} ${r.estimate.toPrecision(5).padStart(12)}${elboRows ? ` ${elboRows[k]!.estimate.toPrecision(5).padStart(12)}` : ''}  ${r.initial.toPrecision(4).padStart(10)}${r.fixed ? '  fixed' : ''}\n`);
  return head + lines.join('');
}

function uncertaintyTable(rows: readonly EstimateRow[]): string {
  const head = `\n${'parameter'.padEnd(16)} ${'estimate'.padStart(12)} ${'SE'.padStart(11)} ${'RSE %'.padStart(7)}  95 % CI\n`;
  const lines = rows.filter((r) => r.se !== null).map((r) => `${r.name.padEnd(16)} ${r.estimate.toPrecision(5).padStart(12)} ${r.se!.toPrecision(3).padStart(11)} ${(r.rse ?? 0).toFixed(1).padStart(7)}  [${r.ciLower?.toPrecision(4)}, ${r.ciUpper?.toPrecision(4)}]\n`);
  return head + lines.join('');
}

function likelihoodLine(uncertainty: UncertaintyResult | undefined, atMaximum: boolean): string {
  const l = uncertainty?.likelihood;
  if (!l) return '';
  const how = l.estimator === 'agq'
    ? `adaptive Gauss–Hermite quadrature, ${l.samples} nodes per effect${l.quadratureChange !== undefined ? `; ${(l.minus2LL - 2 * l.quadratureChange).toFixed(2)} with ${l.samples + 2}` : ''}`
    : `Monte-Carlo SE ${l.mcError.toPrecision(2)}, ${l.estimator === 'prior' ? 'prior' : l.estimator === 'laplace' ? 'Laplace importance' : 'importance'} sampling${l.proposal === 'flow' ? ' from the fitted flow' : ''}, ${l.samples} draws per subject`;
  return `\n${atMaximum ? 'at the maximum-likelihood estimate: ' : 'at the variational optimum: '}−2LL ${l.minus2LL.toFixed(2)} (${how})  AIC ${l.aic.toFixed(2)}  BIC ${l.bic.toFixed(2)} (n = ${l.subjects} subjects)\n`;
}
