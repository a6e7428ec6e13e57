/**
 * Reading a NONMEM/Monolix-style data file for a model: the one entry point of `runtime/data`.
 *
 *   text ─csv-records─▶ records ─read-rows (+ columns, event-rows)─▶ row table ─covariates─▶ filled
 *        ─build-dataset (+ addl)─▶ Dataset
 *
 * Never throws on user input: every problem is a `DataIssue` in the result, and the dataset is returned only
 * when there are no errors (warnings do not stop it). The summary is returned either way.
 */
import { doseEventCount } from './addl.js';
import { buildDataset } from './build-dataset.js';
import { FIRST_COVARIATE_SLOT, Slot } from './columns.js';
import { fillCovariates } from './covariates.js';
import { readCsvRecords } from './csv-records.js';
import type { Dataset } from './dataset.js';
import { IssueList, type DataIssue } from './issues.js';
import { RowReader } from './read-rows.js';
import type { DataRequirements } from './requirements.js';
import { RowKind, type RowTable } from './row-table.js';
import { formatSummary, type DataSummary } from './summary.js';

export interface ReadDatasetOptions {
  /** `--map name=COLUMN`: model covariate names or column roles (ID, TIME, …) → the header names holding them. */
  readonly map?: Readonly<Record<string, string>>;
  /** Field separator; read from the header line when absent (comma, else semicolon or tab). */
  readonly delimiter?: string;
  /** Issues kept per code before the rest are only counted (default 50). */
  readonly maxIssuesPerCode?: number;
}

export interface ReadDatasetResult {
  readonly dataset?: Dataset;
  readonly issues: DataIssue[];
  readonly summary: DataSummary;
  /** `formatSummary(summary)`, prefixed with the file name. */
  readonly summaryLine: string;
}

export function readDataset(text: string, fileName: string, requirements: DataRequirements, options: ReadDatasetOptions = {}): ReadDatasetResult {
  const issues = new IssueList(options.maxIssuesPerCode);
  const reader = new RowReader(requirements, options.map ?? {}, issues, countLines(text));
  const complete = readCsvRecords(text, reader, issues, () => reader.columns?.header ?? [], options.delimiter);

  const table = reader.table;
  if (!table) issues.add('D101', 1, 'the file is empty: it needs a header row naming the columns (ID, TIME, DV, …)');
  else if (reader.counts.rows === 0 && complete) issues.add('D107', reader.headerRow, 'the file has a header but no data rows');

  let doseEvents = 0;
  if (table && reader.columns) {
    const columns = reader.columns;
    const C = requirements.covariates.length;
    const covariateColumns = requirements.covariates.map((_, c) => columns.slotColumn[FIRST_COVARIATE_SLOT + c]!);
    fillCovariates(table, requirements.covariates.map((c) => c.name), covariateColumns, columns.header, issues, (s, c) => reader.invalidCovariates.has(s * C + c));
    // A subject that lost rows (a rejected row, or the file stopped early) may have had observations there.
    const unsure = (s: number): boolean => !complete || reader.idsWithRejectedRows.has(table.ids[s]!);
    warnSubjectsWithoutObservations(table, columns.slotColumn[Slot.ID]!, columns.header, unsure, issues);
    for (let s = 0; s < table.subjectCount; s++) doseEvents += doseEventCount(table, table.subjectStart[s]!, table.subjectEnd(s), false);
  }

  const counts = reader.counts;
  const summary: DataSummary = {
    rows: counts.rows, subjects: table?.subjectCount ?? 0, observations: counts.observations, doses: counts.doses, doseEvents,
    missingDv: counts.missingDv, otherRows: counts.other, rejectedRows: counts.rejected, ignoredColumns: reader.columns?.ignoredColumns ?? [],
  };
  const dataset = table && issues.errors === 0 && complete ? buildDataset(table, requirements) : undefined;
  return { ...(dataset ? { dataset } : {}), issues: issues.finish(), summary, summaryLine: `${fileName}: ${formatSummary(summary)}` };
}

/** Subjects without observations are kept (nothing is dropped), but are worth a warning: usually a filter gone wrong. */
function warnSubjectsWithoutObservations(
  table: RowTable, idColumn: number, header: readonly string[], unsure: (s: number) => boolean, issues: IssueList,
): void {
  for (let s = 0; s < table.subjectCount; s++) {
    const end = table.subjectEnd(s);
    let observed = false;
    for (let r = table.subjectStart[s]!; r < end && !observed; r++) observed = table.kind[r] === RowKind.observation;
    if (observed || unsure(s)) continue;
    issues.add('D300', table.row[table.subjectStart[s]!]!, `ID ${table.ids[s]} has no observations; it is kept, but contributes nothing to the fit`, {
      column: idColumn + 1, columnName: header[idColumn] ?? 'ID', value: table.ids[s]!,
    });
  }
}

/** Newlines + 1: the row table's first capacity, so a typical file never regrows it. */
function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
