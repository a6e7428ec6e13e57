/**
 * Reads one cell as a number: plain decimal notation only (`12`, `-0.5`, `.5`, `1e-3`).
 *
 * Why not `Number(cell)` alone: it also accepts `0x1F`, `0b1`, `Infinity` and whitespace, none of which a data
 * file means as a number, and `parseFloat` accepts `12abc`. Why not a regular expression: this runs once per
 * cell of files with tens of millions of cells, and `Number` plus two character checks is several times faster.
 * Returns NaN for anything that is not a finite decimal number; the caller decides what that means.
 */
export function parseNumber(cell: string): number {
  const value = Number(cell);
  if (value !== value || value === Infinity || value === -Infinity) return NaN;
  // Number() also reads hex/binary/octal literals ("0x10"): reject x, b or o right after a leading 0.
  if (cell.length > 2 && cell.charCodeAt(0) === 48) {
    const second = cell.charCodeAt(1) | 32;
    if (second === 120 || second === 98 || second === 111) return NaN; // x, b, o
  }
  return value;
}

