/**
 * Missing values. NONMEM writes `.`, R writes `NA`, spreadsheets leave the cell empty: all three mean "no value".
 * (NONMEM itself reads `.` as 0; Monolix and R read it as missing, which is what a pharmacometrician exporting
 * from R means by it, so this reader follows them.) Only these exact spellings count: `na`, `NaN` or `-` are
 * reported as non-numeric rather than guessed at. Cells arrive trimmed.
 */
export const MISSING_SPELLINGS: readonly string[] = ['.', 'NA', ''];

export function isMissing(cell: string): boolean {
  // Length first: the hot path sees mostly numbers, and this rejects them without comparing strings.
  return cell.length <= 2 && (cell === '' || cell === '.' || cell === 'NA');
}
