/**
 * CSV text → records with their row numbers, through `csv-parse` (quoting, CRLF, BOM and multi-line fields are
 * its job). Records are handed to the handler as they are parsed and not kept, so memory stays proportional to
 * what the caller stores, not to the file.
 *
 * Row numbers (see `issues.ts`): the line on which a record starts, counting blank lines.
 *
 * Speed: csv-parse's per-record hook (`on_record`), which reports line numbers, builds two info objects per
 * record, which was half the reading time of a 2-million-row file. So the text is parsed in chunks of whole
 * lines with the plain call, which returns only records, and a record's line is its chunk's first line plus its
 * index — exact whenever the chunk has as many records as lines (blank lines are kept as empty records for
 * that, then skipped). Only a chunk where a quoted field spans lines has fewer, and that chunk is parsed again
 * with `on_record`, which is exact everywhere. Chunks end at a line break outside quotes (even quote count), so
 * a quoted field is never cut.
 *
 * The separator is read from the header line: a comma unless the header has none and has semicolons (European
 * spreadsheets, where the comma is the decimal mark) or tabs. Blank lines, and rows whose every cell is empty
 * (spreadsheets export them below the data), hold no data and are skipped.
 *
 * A quoting error leaves the parser unsure where later records begin (it would misread the rest of the file),
 * so reading stops there with one D100 error; the records before it have been delivered.
 */
import { CsvError, parse, type Options } from 'csv-parse/sync';
import type { IssueList } from './issues.js';

export interface CsvRecordHandler {
  /** The first non-blank record. */
  onHeader(fields: string[], row: number): void;
  /** Every later non-blank record. */
  onRecord(fields: string[], row: number): void;
}

/** Lines per chunk: large enough that per-chunk overhead vanishes, small enough that a chunk's records are cheap. */
const CHUNK_LINES = 4096;

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
  // No `trim` on the fast path (it costs a third of csv-parse's time): cells are trimmed by the reader when needed
  // (`cleanCell`). The exact path trims, so that a chunk with spaces around a quoted field still reads.
  const options: Options = { bom: true, delimiter: delimiter ?? detectDelimiter(text), relax_column_count: true, skip_empty_lines: false };
  let seenHeader = false;
  const deliver = (fields: string[], row: number): void => {
    if (isBlank(fields)) return;
    if (seenHeader) handler.onRecord(fields, row);
    else {
      seenHeader = true;
      handler.onHeader(fields, row);
    }
  };

  let line = 1; // the line on which the chunk starts
  let start = 0;
  const quoted = text.includes('"');
  while (start < text.length) {
    const [end, lines] = chunkEnd(text, start, quoted);
    const chunk = text.slice(start, end);
    let records: string[][] | undefined;
    try {
      records = parse(chunk, options);
    } catch (e) {
      if (!isCsvError(e)) throw e;
      records = undefined; // parse again below, to deliver the records before the error and place it exactly
    }
    if (records && records.length === lines) {
      for (let i = 0; i < records.length; i++) deliver(records[i]!, line + i);
    } else if (!parseExactly(chunk, line, options, deliver, issues, header, () => seenHeader)) {
      return false;
    }
    line += lines;
    start = end;
  }
  return true;
}

/**
 * The end of the chunk starting at `start` (after CHUNK_LINES line breaks, or further to close a quote), and the
 * number of lines in it (a last line without a line break counts).
 */
function chunkEnd(text: string, start: number, quoted: boolean): [number, number] {
  let end = start;
  let lines = 0;
  let quotes = 0;
  while (end < text.length && (lines < CHUNK_LINES || quotes % 2 === 1)) {
    const next = text.indexOf('\n', end);
    const stop = next < 0 ? text.length : next + 1;
    if (quoted) for (let q = text.indexOf('"', end); q >= 0 && q < stop; q = text.indexOf('"', q + 1)) quotes++;
    end = stop;
    lines++;
  }
  return [end, lines];
}

/** Parses a chunk with line numbers from csv-parse itself; reports a syntax error and returns false on one. */
function parseExactly(
  chunk: string, firstLine: number, options: Options, deliver: (fields: string[], row: number) => void,
  issues: IssueList, header: () => readonly string[], seenHeader: () => boolean,
): boolean {
  let previousEnd = 0;
  try {
    parse(chunk, {
      ...options,
      trim: true,
      on_record: (fields: string[], info) => {
        deliver(fields, firstLine + previousEnd);
        previousEnd = info.lines;
        return null;
      },
    });
    return true;
  } catch (e) {
    if (!isCsvError(e)) throw e;
    const error = e as CsvError & { index?: number };
    const row = firstLine + previousEnd; // the start of the record the error is in
    const message = `${describe(error)}; the rest of the file was not read`;
    const index = typeof error.index === 'number' && seenHeader() ? error.index : undefined;
    const name = index === undefined ? undefined : header()[index];
    if (index !== undefined) issues.add('D100', row, message, { column: index + 1, ...(name !== undefined ? { columnName: name } : {}) });
    else issues.add('D100', row, message);
    return false;
  }
}

/** csv-parse's message, in this reader's words for the usual two (its own mention chunk-relative lines). */
function describe(error: CsvError): string {
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') return 'a quoted field starts in this row and is never closed';
  const got = /got "(.*?)"/.exec(error.message)?.[1];
  if (error.code === 'CSV_INVALID_CLOSING_QUOTE' && got !== undefined) {
    return `a quoted field must end at a separator or line end, but "${got}" follows its closing quote`;
  }
  if (error.code === 'INVALID_OPENING_QUOTE') return 'a quote inside an unquoted field; quote the whole field and double the quote ("")';
  return error.message.replace(/\.$/, '').replace(/ at line \d+/, '');
}

/** Only csv-parse's own errors are the user's; anything else is a bug here and must not be disguised. */
function isCsvError(e: unknown): e is CsvError {
  return e instanceof CsvError;
}

function isBlank(fields: readonly string[]): boolean {
  for (let i = 0; i < fields.length; i++) if (cleanCell(fields[i]!) !== '') return false;
  return true;
}

/** The cell without surrounding white space; the common case (none) costs two character reads. */
export function cleanCell(cell: string): string {
  const n = cell.length;
  return n > 0 && (cell.charCodeAt(0) <= 32 || cell.charCodeAt(n - 1) <= 32) ? cell.trim() : cell;
}
