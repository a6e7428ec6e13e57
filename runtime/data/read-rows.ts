/**
 * The record-by-record pass: each CSV record becomes numbers in the row table, with every check that can be made
 * while streaming — cells that are not numbers, ragged rows, missing ID or TIME, subjects whose rows are not
 * together, time going backwards, exact duplicates — and the row's classification (`event-rows.ts`).
 *
 * Hot path: this runs once per record of files with millions of rows, so it allocates nothing per cell (numbers
 * go straight into typed arrays, through one reused scratch array indexed by slot) and nothing per row beyond
 * what csv-parse hands over.
 */
import { columnLabel, FIRST_COVARIATE_SLOT, mapColumns, Slot, type ColumnMap } from './columns.js';
import { cleanCell, type CsvRecordHandler } from './csv-records.js';
import { RowClassifier } from './event-rows.js';
import type { IssueList } from './issues.js';
import { isMissing } from './missing-values.js';
import { parseNumber } from './parse-number.js';
import type { DataRequirements } from './requirements.js';
import { RowKind, RowTable } from './row-table.js';

/** Rows counted by kind (including rows rejected before they could be stored). */
export interface RowCounts {
  rows: number;
  observations: number;
  doses: number;
  missingDv: number;
  other: number;
  rejected: number;
}

/** Bit of `invalid` for "some covariate cell of this row is not a number" (roles have bits 0–13). */
const SOME_COVARIATE = 1 << 30;

export class RowReader implements CsvRecordHandler {
  columns: ColumnMap | undefined;
  table: RowTable | undefined;
  headerRow = 1;
  readonly counts: RowCounts = { rows: 0, observations: 0, doses: 0, missingDv: 0, other: 0, rejected: 0 };
  /** subject · C + covariate for each covariate with a non-numeric cell in that subject (already reported). */
  readonly invalidCovariates = new Set<number>();
  /** IDs with a rejected row (it may have been an observation: no "no observations" warning for them). */
  readonly idsWithRejectedRows = new Set<string>();

  private classifier: RowClassifier | undefined;
  /** Slots that have a column, and that column. */
  private usedSlots = new Int32Array(0);
  private usedColumns = new Int32Array(0);
  private values = new Float64Array(0);
  private covariateCount = 0;
  private categorical: boolean[] = [];
  /** K of the occasion column (values 1..K), undefined for the other covariates. */
  private occasions: (number | undefined)[] = [];
  private idColumn = -1;
  private timeColumn = -1;

  // Streaming state: the current subject, its last row, and the rows at its current time (for duplicates).
  private currentId: string | undefined;
  private subjectIndex = new Map<string, number>();
  private lastTime = NaN;
  private lastTimeRow = 0;
  private groupTime = NaN;
  private groupFields: string[][] = [];
  private groupRows: number[] = [];

  constructor(
    private readonly requirements: DataRequirements,
    private readonly overrides: Readonly<Record<string, string>>,
    private readonly issues: IssueList,
    private readonly capacity: number,
  ) {}

  onHeader(fields: string[], row: number): void {
    this.headerRow = row;
    const columns = mapColumns(fields, row, this.requirements, this.overrides, this.issues);
    this.columns = columns;
    this.covariateCount = this.requirements.covariates.length;
    this.categorical = this.requirements.covariates.map((c) => c.categorical);
    this.occasions = this.requirements.covariates.map((c) => c.occasions);
    this.table = new RowTable(this.capacity, this.covariateCount);
    this.classifier = new RowClassifier(this.requirements, columns, this.issues);
    this.values = new Float64Array(columns.slotColumn.length);
    const used: number[] = [];
    columns.slotColumn.forEach((column, slot) => {
      if (column >= 0 && slot !== Slot.ID) used.push(slot);
    });
    this.usedSlots = Int32Array.from(used);
    this.usedColumns = Int32Array.from(used.map((slot) => columns.slotColumn[slot]!));
    this.idColumn = columns.slotColumn[Slot.ID]!;
    this.timeColumn = columns.slotColumn[Slot.TIME]!;
  }

  onRecord(fields: string[], row: number): void {
    const columns = this.columns!;
    const table = this.table!;
    const header = columns.header;
    this.counts.rows++;

    if (fields.length !== header.length && !onlyEmptyBeyond(fields, header.length)) {
      this.ragged(fields, row);
      if (this.idColumn >= 0 && this.idColumn < fields.length) this.idsWithRejectedRows.add(cleanCell(fields[this.idColumn]!));
      return;
    }
    if (this.idColumn < 0 || this.timeColumn < 0) {
      this.counts.rejected++; // the missing column is reported once, at the header
      return;
    }

    // Cells → numbers, by slot. `invalid` marks role cells that are not numbers (reported here, once).
    const values = this.values;
    values.fill(NaN);
    let invalid = 0;
    const usedSlots = this.usedSlots;
    const usedColumns = this.usedColumns;
    for (let k = 0; k < usedSlots.length; k++) {
      const column = usedColumns[k]!;
      const cell = cleanCell(fields[column]!);
      if (isMissing(cell)) continue;
      const value = parseNumber(cell);
      const slot = usedSlots[k]!;
      if (value !== value) {
        invalid |= slot < FIRST_COVARIATE_SLOT ? 1 << slot : SOME_COVARIATE;
        this.notANumber(slot, column, cell, row);
        continue;
      }
      values[slot] = value;
    }

    const id = cleanCell(fields[this.idColumn]!);
    if (isMissing(id)) {
      this.issues.add('D201', row, 'ID is missing; every row needs an ID and a TIME', this.cell(this.idColumn, id));
      this.counts.rejected++;
      return;
    }
    const time = values[Slot.TIME]!;
    if (time !== time) {
      if (!(invalid & (1 << Slot.TIME))) {
        this.issues.add('D201', row, 'TIME is missing; every row needs an ID and a TIME', this.cell(this.timeColumn, cleanCell(fields[this.timeColumn]!)));
      }
      this.counts.rejected++;
      this.idsWithRejectedRows.add(id);
      return;
    }

    const index = table.append();
    const subject = this.subjectOf(id, row, index);
    table.row[index] = row;
    table.time[index] = time;
    table.subject[index] = subject;
    this.checkOrder(fields, time, row);

    for (let c = 0; c < this.covariateCount; c++) {
      const value = values[FIRST_COVARIATE_SLOT + c]!;
      table.covariates[c]![index] = value;
      table.covariateGiven[c]![index] = value === value ? 1 : 0;
      if (invalid & SOME_COVARIATE && value !== value && this.isInvalidCell(fields, FIRST_COVARIATE_SLOT + c)) this.invalidCovariates.add(subject * this.covariateCount + c);
      if (this.categorical[c] && value === value && !Number.isInteger(value)) {
        const column = columns.slotColumn[FIRST_COVARIATE_SLOT + c]!;
        this.issues.add('D211', row, `categorical covariate ${columns.slotNames[FIRST_COVARIATE_SLOT + c]} must be coded as a whole number, found ${cleanCell(fields[column]!)}`, this.cell(column, cleanCell(fields[column]!)));
      } else if (this.occasions[c] !== undefined && value === value && !(value >= 1 && value <= this.occasions[c]!)) {
        const column = columns.slotColumn[FIRST_COVARIATE_SLOT + c]!;
        this.issues.add('D211', row, `the occasion column ${columns.slotNames[FIRST_COVARIATE_SLOT + c]} numbers occasions 1 to ${this.occasions[c]} (the model's occasions(${this.occasions[c]})), found ${cleanCell(fields[column]!)}`, this.cell(column, cleanCell(fields[column]!)));
      }
    }

    const kind = this.classifier!.store(values, invalid, fields, row, table, index);
    if (kind === RowKind.observation) this.counts.observations++;
    else if (kind === RowKind.dose) this.counts.doses++;
    else if (kind === RowKind.missingDv) this.counts.missingDv++;
    else if (kind === RowKind.other || kind === RowKind.reset) this.counts.other++;
    else {
      this.counts.rejected++;
      this.idsWithRejectedRows.add(id);
    }
  }

  /** Whether the cell of `slot` holds text that is neither missing nor a number (reported as D200). */
  private isInvalidCell(fields: readonly string[], slot: number): boolean {
    const cell = cleanCell(fields[this.columns!.slotColumn[slot]!] ?? '');
    return !isMissing(cell) && parseNumber(cell) !== parseNumber(cell);
  }

  private subjectOf(id: string, row: number, index: number): number {
    const table = this.table!;
    if (id === this.currentId) return table.subjectCount - 1;
    const earlier = this.subjectIndex.get(id);
    if (earlier !== undefined) {
      const firstRow = table.row[table.subjectStart[earlier]!]!;
      this.issues.add('D213', row, `rows of ID ${id} start again here, after other subjects (its first row is ${firstRow}); keep each subject's rows together, sorted by TIME`, this.cell(this.idColumn, id));
    } else this.subjectIndex.set(id, table.subjectCount);
    // A returning ID gets a subject of its own, so the checks below do not compare across the gap.
    this.currentId = id;
    table.ids.push(id);
    table.subjectStart.push(index);
    this.lastTime = NaN;
    this.groupTime = NaN;
    return table.subjectCount - 1;
  }

  /** Time order and exact duplicates; rows at equal times of one subject are adjacent, so only they are compared. */
  private checkOrder(fields: string[], time: number, row: number): void {
    if (time < this.lastTime) {
      const id = this.currentId;
      this.issues.add('D202', row, `TIME ${cleanCell(fields[this.timeColumn]!)} is earlier than ${this.lastTime} on row ${this.lastTimeRow} (ID ${id}); sort each subject's rows by TIME`, this.cell(this.timeColumn, cleanCell(fields[this.timeColumn]!)));
    }
    this.lastTime = time;
    this.lastTimeRow = row;
    if (time !== this.groupTime) {
      this.groupTime = time;
      this.groupFields.length = 0;
      this.groupRows.length = 0;
    } else {
      for (let g = 0; g < this.groupFields.length; g++) {
        if (sameFields(this.groupFields[g]!, fields)) {
          this.issues.add('D301', row, `row repeats row ${this.groupRows[g]} exactly; both are kept (a repeated dose row gives the dose twice)`);
          break;
        }
      }
    }
    this.groupFields.push(fields);
    this.groupRows.push(row);
  }

  private ragged(fields: string[], row: number): void {
    const header = this.columns!.header;
    this.counts.rejected++;
    const counted = `row has ${fields.length} field${fields.length === 1 ? '' : 's'}, the header has ${header.length}; the row is not read`;
    if (fields.length < header.length) {
      this.issues.add('D104', row, `${counted} (${columnLabel(header, fields.length)} and after are missing)`, { column: fields.length + 1, columnName: columnLabel(header, fields.length) });
    } else {
      const extra = cleanCell(fields[header.length]!);
      const hint = /^\d+$/.test(extra) && /\d$/.test(cleanCell(fields[header.length - 1] ?? '')) ? ' (a decimal comma? write decimals with a point, or separate columns with semicolons)' : '';
      this.issues.add('D104', row, `${counted}${hint}`, { column: header.length + 1, value: extra });
    }
  }

  private notANumber(slot: number, column: number, cell: string, row: number): void {
    const name = this.columns!.slotNames[slot]!;
    const categorical = slot >= FIRST_COVARIATE_SLOT && this.categorical[slot - FIRST_COVARIATE_SLOT];
    const hint = /^(na|nan|n\/a|null|none|-|\?)$/i.test(cell)
      ? ' (missing values are written ., NA or left empty)'
      : /^[+-]?\d*,\d+$/.test(cell) ? ' (write decimals with a point, not a comma)'
        : categorical ? ' (categorical covariates must be coded as numbers)' : '';
    this.issues.add('D200', row, `${name} must be a number, found "${cell}"${hint}`, this.cell(column, cell));
  }

  private cell(column: number, value: string): { column: number; columnName: string; value: string } {
    return { column: column + 1, columnName: columnLabel(this.columns!.header, column), value };
  }
}

/** Extra fields that are all empty (a trailing comma some exports write on some rows) lose nothing: accepted. */
function onlyEmptyBeyond(fields: readonly string[], length: number): boolean {
  if (fields.length < length) return false;
  for (let i = length; i < fields.length; i++) if (cleanCell(fields[i]!) !== '') return false;
  return true;
}

function sameFields(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
