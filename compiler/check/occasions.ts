/**
 * Inter-occasion variability needs exactly one occasion column: the covariate declared `occasions(K)`, whose
 * value 1..K says which occasion a row belongs to. Each `iov(...)` parameter then gets one κ per occasion.
 */
import { diagnostic, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { CheckedCovariate, CheckedParameter } from './checked-model.js';

/** The occasion covariate, when the model declares one. */
export function occasionCovariate(covariates: readonly CheckedCovariate[]): CheckedCovariate | undefined {
  return covariates.find((c) => c.occasions !== undefined);
}

export function checkOccasionColumns(covariates: readonly CheckedCovariate[], parameters: readonly CheckedParameter[], diagnostics: Diagnostic[]): void {
  const columns = covariates.filter((c) => c.occasions !== undefined);
  for (const extra of columns.slice(1)) {
    diagnostics.push(diagnostic('E235', extra.range, `only one covariate numbers the occasions; '${columns[0]!.name}' already does`, { related: [{ range: columns[0]!.range, message: 'the occasion column' }] }));
  }
  if (columns.length > 0) return;
  for (const p of parameters) {
    if (p.iov) diagnostics.push(diagnostic('E235', p.iov.range, "iov(...) needs an occasion column: declare it in the covariates block, e.g. covariates { OCC occasions(3) }"));
  }
}
