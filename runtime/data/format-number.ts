/**
 * How nlmc prints a number in the files it writes (simulated data, estimates, evaluations): integers as they
 * are, others with 10 significant digits, so the same values give the same bytes on every machine.
 */
export function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  return String(Number(v.toPrecision(10)));
}
