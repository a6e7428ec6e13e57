/**
 * Covariate values on every row. A covariate may be constant within a subject or change over time; either way
 * the data gives it on some rows and not on others, and the model needs it everywhere:
 *
 * - Carried forward (LOCF): a missing value takes the value of the subject's last earlier row that has one; the
 *   covariate is a step function of time, changing at the rows where a new value is written.
 * - Back-filled: missing on a subject's first rows, it takes the subject's first value (with one warning per
 *   subject and covariate), because a baseline covariate written only on the observation rows and not on the
 *   dose row at time 0 is common and means exactly that.
 * - A subject with no value at all has nothing to fill from: an error.
 *
 * Filling happens in place in the row table, so later passes read a complete value on every row.
 */
import type { IssueList } from './issues.js';
import type { RowTable } from './row-table.js';

/** `reported(s, c)`: subject s has a non-numeric cell of covariate c, already an error: no second issue for it. */
export function fillCovariates(
  table: RowTable, names: readonly string[], columns: readonly number[], header: readonly string[], issues: IssueList,
  reported: (subject: number, covariate: number) => boolean,
): void {
  for (let c = 0; c < table.covariates.length; c++) {
    const values = table.covariates[c]!;
    const column = columns[c]!;
    const where = column >= 0 ? { column: column + 1, columnName: header[column] ?? names[c]! } : undefined;
    for (let s = 0; s < table.subjectCount; s++) {
      const start = table.subjectStart[s]!;
      const end = table.subjectEnd(s);
      let first = start;
      while (first < end && values[first] !== values[first]) first++;
      if (first === end) {
        if (column >= 0 && !reported(s, c)) issues.add('D214', table.row[start]!, `covariate ${names[c]} has no value for ID ${table.ids[s]}`, where);
        continue;
      }
      const firstValue = values[first]!;
      if (first > start) {
        if (!reported(s, c)) issues.add('D302', table.row[start]!, `covariate ${names[c]} is missing on the first row of ID ${table.ids[s]}; using its first value, ${firstValue} (row ${table.row[first]}), from the start`, where);
        values.fill(firstValue, start, first);
      }
      let last = firstValue;
      for (let r = first + 1; r < end; r++) {
        const v = values[r]!;
        if (v !== v) values[r] = last;
        else last = v;
      }
    }
  }
}
