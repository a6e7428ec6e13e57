/**
 * CSV text → records with their row numbers, through `csv-parse` (quoting, CRLF, BOM and multi-line fields are
 * its job). Each record is handed to `onRecord` as it is parsed and not kept, so memory stays proportional to
 * what the caller stores, not to the file.
 *
 * Row numbers: csv-parse reports the line on which a record ends; the row reported here is the line on which it
 * starts (they differ only for quoted fields spanning lines), counting skipped blank lines — see `issues.ts`.
 *
 * The separator is read from the header line: a comma unless the header has none and has semicolons (European
 * spreadsheets, where the comma is the decimal mark) or tabs. Blank lines, and rows whose every cell is empty
 * (spreadsheets export them below the data), hold no data and are skipped.
 *
 * A quoting error leaves the parser unsure where later records begin (it would misread the rest of the file),
 * so reading stops there with one D100 error; the records before it have been delivered.
 */
import { parse, type CsvError } from 'csv-parse/sync';
import type { IssueList } from './issues.js';

export interface CsvRecordHandler {
  /** Called once for every record after the first non-blank one (the header), which goes to `onHeader`. */
  onHeader(fields: string[], row: number): void;
  onRecord(fields: string[], row: number): void;
}

export function detectDelimiter(text: string): string {
  let end = text.indexOf('\n');
  if (end < 0) end = text.length;
  const firstLine = text.slice(0, end);
  if (firstLine.includes(',')) return ',';
  const semicolons = firstLine.split(';').length - 1;
  const tabs = firstLine.split('\t').length - 1;
  if (semicolons === 0 && tabs === 0) return ',';
  return semicolons >= tabs ? ';' : '\t';
}

/** Reads every record; returns false when a syntax error stopped the reading early. */
export function readCsvRecords(text: string, handler: CsvRecordHandler, issues: IssueList, header: () => readonly string[], delimiter?: string): boolean {
  let previousEnd = 0;
  let previousEmpty = 0;
  let seenHeader = false;
  try {
    parse(text, {
      bom: true,
      trim: true,
      delimiter: delimiter ?? detectDelimiter(text),
      relax_column_count: true,
      skip_empty_lines: true,
      on_record: (fields: string[], info) => {
        const row = previousEnd + 1 + (info.empty_lines - previousEmpty);
        previousEnd = info.lines;
        previousEmpty = info.empty_lines;
        if (isBlank(fields)) return null;
        if (seenHeader) handler.onRecord(fields, row);
        else {
          seenHeader = true;
          handler.onHeader(fields, row);
        }
        return null;
      },
    });
    return true;
  } catch (e) {
    // Only csv-parse's own errors are the user's; anything else is a bug here and must not be disguised.
    if (!(e instanceof Error) || !('code' in e) || !String(e.code).startsWith('CSV_')) throw e;
    const error = e as CsvError & { lines?: number; index?: number };
    const row = typeof error.lines === 'number' && error.lines > 0 ? error.lines : previousEnd + 1;
    const message = `${error.message.replace(/\.$/, '')}; the rest of the file was not read`;
    const index = typeof error.index === 'number' ? error.index : undefined;
    if (index !== undefined && seenHeader) {
      const name = header()[index];
      issues.add('D100', row, message, { column: index + 1, ...(name !== undefined ? { columnName: name } : {}) });
    } else issues.add('D100', row, message);
    return false;
  }
}

function isBlank(fields: readonly string[]): boolean {
  for (let i = 0; i < fields.length; i++) if (fields[i] !== '') return false;
  return true;
}
