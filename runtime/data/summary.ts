/**
 * What was read, counted so that nothing disappears unnoticed: every data row is exactly one of observation,
 * dose, missing DV, other, rejected (rows = the sum of the five), and columns no model quantity reads are named.
 */
export interface DataSummary {
  /** Data rows (header and blank lines not counted). */
  readonly rows: number;
  readonly subjects: number;
  /** Rows with a DV the model will fit. */
  readonly observations: number;
  /** Dose rows (EVID=1, or AMT > 0 without EVID). */
  readonly doses: number;
  /** Dose events after ADDL expansion (≥ doses). */
  readonly doseEvents: number;
  /** Observation rows whose DV is missing: kept out of the fit. */
  readonly missingDv: number;
  /** EVID=2 and MDV=1 rows: they carry covariate values, nothing to fit. */
  readonly otherRows: number;
  /** Rows that could not be read or classified; each has an error. */
  readonly rejectedRows: number;
  readonly ignoredColumns: readonly string[];
}

/** One line, e.g. `12 subjects, 132 observations, 12 doses, 0 missing DV, 0 other rows (144 rows; ignored columns: DOSE)`. */
export function formatSummary(summary: DataSummary): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const doses = summary.doseEvents !== summary.doses ? `${plural(summary.doses, 'dose')} (${plural(summary.doseEvents, 'dose event')} with ADDL)` : plural(summary.doses, 'dose');
  const parts = [
    plural(summary.subjects, 'subject'), plural(summary.observations, 'observation'), doses,
    `${summary.missingDv} missing DV`, plural(summary.otherRows, 'other row'),
  ];
  if (summary.rejectedRows > 0) parts.push(`${plural(summary.rejectedRows, 'row')} rejected`);
  const details = [plural(summary.rows, 'row')];
  if (summary.ignoredColumns.length > 0) details.push(`ignored columns: ${summary.ignoredColumns.join(', ')}`);
  return `${parts.join(', ')} (${details.join('; ')})`;
}
