/**
 * Problems found in a data file, as values: the reader never throws on user input, it returns every problem it
 * found so that one run shows them all (a data file is usually fixed in one sitting, not one error at a time).
 *
 * Row convention: rows are numbered like a spreadsheet shows them, 1-based with the header as row 1, so the first
 * data row is row 2. A row is the line on which its record starts, so the number is also the line number an
 * editor shows (blank lines count; they are skipped but keep their number). Columns are 1-based field positions
 * (not character offsets) and are always reported together with their header name.
 *
 * Codes are stable (tests and docs refer to them): D1xx the file's structure (syntax, header, columns),
 * D2xx values of single rows or subjects, D3xx warnings. They are a catalogue of their own, apart from the
 * compiler's E/W codes, because a data file is not a model source.
 */

export type DataIssueSeverity = 'error' | 'warning';

export const dataIssueCatalogue = {
  D100: { severity: 'error', title: 'CSV syntax error' },
  D101: { severity: 'error', title: 'no header' },
  D102: { severity: 'error', title: 'missing column' },
  D103: { severity: 'error', title: 'ambiguous column' },
  D104: { severity: 'error', title: 'row has the wrong number of fields' },
  D105: { severity: 'error', title: 'invalid column mapping' },
  D106: { severity: 'error', title: 'covariate missing from the data' },
  D107: { severity: 'error', title: 'no data rows' },
  D200: { severity: 'error', title: 'not a number' },
  D201: { severity: 'error', title: 'required value missing' },
  D202: { severity: 'error', title: 'time goes backwards' },
  D203: { severity: 'error', title: 'negative amount' },
  D204: { severity: 'error', title: 'dose into no input' },
  D205: { severity: 'error', title: 'dose without amount' },
  D206: { severity: 'error', title: 'invalid steady state' },
  D207: { severity: 'error', title: 'unsupported EVID' },
  D208: { severity: 'error', title: 'ADDL without II' },
  D209: { severity: 'error', title: 'invalid RATE' },
  D210: { severity: 'error', title: 'DVID matches no output' },
  D211: { severity: 'error', title: 'value out of range' },
  D212: { severity: 'error', title: 'censoring the model does not declare' },
  D213: { severity: 'error', title: 'subject rows not together' },
  D214: { severity: 'error', title: 'covariate without any value' },
  D215: { severity: 'error', title: 'reset after an event at the same time' },
  D300: { severity: 'warning', title: 'subject without observations' },
  D301: { severity: 'warning', title: 'duplicate row' },
  D302: { severity: 'warning', title: 'covariate back-filled' },
  D303: { severity: 'warning', title: 'DV on a dose row ignored' },
  D304: { severity: 'warning', title: 'observation row without DV' },
  D305: { severity: 'warning', title: 'II without ADDL' },
  D306: { severity: 'warning', title: 'AMT on a row that gives no dose ignored' },
  D307: { severity: 'warning', title: 'dose of zero' },
  D308: { severity: 'warning', title: 'observation between two events at the same time' },
} as const satisfies Record<string, { severity: DataIssueSeverity; title: string }>;

export type DataIssueCode = keyof typeof dataIssueCatalogue;

export interface DataIssue {
  readonly severity: DataIssueSeverity;
  readonly code: DataIssueCode;
  /** 1-based, header = row 1 (spreadsheet numbering; the line where the record starts). */
  readonly row: number;
  /** 1-based field position, when the issue is about one column or cell. */
  readonly column?: number;
  /** The column's header name (absent only for a field beyond the header). */
  readonly columnName?: string;
  /** The cell's text as written, when the issue is about one cell. */
  readonly value?: string;
  readonly message: string;
}

/** `file:row:column (NAME): error CODE: message`, or `file:row: …` for an issue about a whole row. */
export function formatIssue(issue: DataIssue, fileName: string): string {
  let where = `${fileName}:${issue.row}`;
  if (issue.column !== undefined) where += `:${issue.column}`;
  if (issue.columnName !== undefined) where += ` (${issue.columnName})`;
  return `${where}: ${issue.severity} ${issue.code}: ${issue.message}`;
}

export function hasDataErrors(issues: readonly DataIssue[]): boolean {
  return issues.some((i) => i.severity === 'error');
}

/**
 * Collects issues, keeping at most `maxPerCode` of each code: a 2-million-row file with one systematic mistake
 * would otherwise produce 2 million issues. What is held back is not lost: it is counted, and one closing issue
 * per code says how many more there were (reported at the row of the first one held back).
 */
export class IssueList {
  private readonly kept: DataIssue[] = [];
  private readonly perCode = new Map<DataIssueCode, number>();
  private readonly firstHeldBack = new Map<DataIssueCode, number>();
  private errorCount = 0;

  constructor(private readonly maxPerCode = 50) {}

  add(code: DataIssueCode, row: number, message: string, cell?: { column: number; columnName?: string; value?: string }): void {
    const severity = dataIssueCatalogue[code].severity;
    if (severity === 'error') this.errorCount++;
    const count = (this.perCode.get(code) ?? 0) + 1;
    this.perCode.set(code, count);
    if (count > this.maxPerCode) {
      if (!this.firstHeldBack.has(code)) this.firstHeldBack.set(code, row);
      return;
    }
    const issue: { -readonly [K in keyof DataIssue]: DataIssue[K] } = { severity, code, row, message };
    if (cell) {
      issue.column = cell.column;
      if (cell.columnName !== undefined) issue.columnName = cell.columnName;
      if (cell.value !== undefined) issue.value = cell.value;
    }
    this.kept.push(issue);
  }

  get errors(): number {
    return this.errorCount;
  }

  /** Sorted by row, then column (issues about a whole row first), with the "N more" notes in place. */
  finish(): DataIssue[] {
    const all = [...this.kept];
    for (const [code, row] of this.firstHeldBack) {
      const more = (this.perCode.get(code) ?? 0) - this.maxPerCode;
      all.push({
        severity: dataIssueCatalogue[code].severity, code, row,
        message: `${more} more ${code} issue${more === 1 ? '' : 's'} (${dataIssueCatalogue[code].title}) from this row on, not listed`,
      });
    }
    return all.sort((a, b) => a.row - b.row || (a.column ?? 0) - (b.column ?? 0));
  }
}
