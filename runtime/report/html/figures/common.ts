/**
 * What every figure builder shares: the figure record, the point limit above which a scatter is drawn as a
 * binned count map (so a 10,000-subject dataset gives a figure of a few thousand rects, not 60,000 symbols), and
 * the reference lines.
 */
import type { TopLevelSpec } from 'vega-lite';

export interface FigureSpec {
  /** File name (without .svg) and HTML id. */
  readonly id: string;
  readonly title: string;
  /** What the figure shows and how to read it (plain text). */
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

/** Above this many points a scatter becomes a 2-D histogram (count per cell). */
export const POINT_LIMIT = 5000;

/** Vega-Lite's `data.values` takes plain records. */
export type Row = Record<string, number | string | boolean | null>;

/** A JSON-safe number: NaN and ±∞ become null (vega drops nulls from scales and marks). */
export const num = (v: number): number | null => (Number.isFinite(v) ? v : null);

type Unit = Record<string, unknown>;

/** A scatter's axis: the field, its title, and the range its 2-D histogram bins (default: the field's own). */
export interface Axis {
  readonly field: string;
  readonly title: string;
  readonly extent?: readonly [number, number];
}

/**
 * The scatter layer of `x` against `y`: points named `name` while there are at most POINT_LIMIT rows, else
 * rects named `${name}-density` whose colour is the count of rows in each cell (60 × 60 bins at most).
 * Models with several outputs get one figure per output (the builders' `suffix`), so no chart is faceted by output.
 */
export function scatterLayer(name: string, rows: number, x: Axis, y: Axis, extra: Unit = {}): Unit {
  if (rows <= POINT_LIMIT) {
    return {
      name, mark: { type: 'point', filled: true, size: 14, opacity: Math.max(0.25, Math.min(0.8, 300 / Math.max(1, rows))) },
      encoding: { x: { field: x.field, type: 'quantitative', title: x.title, scale: { zero: false } }, y: { field: y.field, type: 'quantitative', title: y.title, scale: { zero: false } }, ...extra },
    };
  }
  return {
    name: `${name}-density`, mark: { type: 'rect' },
    encoding: {
      x: { field: x.field, bin: { maxbins: 60, ...(x.extent ? { extent: x.extent } : {}) }, type: 'quantitative', title: x.title, axis: { format: '~g', tickCount: 6, labelOverlap: true } },
      y: { field: y.field, bin: { maxbins: 60, ...(y.extent ? { extent: y.extent } : {}) }, type: 'quantitative', title: y.title, axis: { format: '~g', tickCount: 6, labelOverlap: true } },
      color: { aggregate: 'count', type: 'quantitative', title: 'observations', scale: { scheme: 'blues', type: 'log' } },
    },
  };
}

/** A horizontal reference line at each of `values` (named `name`). */
export function referenceRules(name: string, values: readonly number[], dash = [4, 3]): Unit {
  return { name, data: { values: values.map((v) => ({ ref: v })) }, mark: { type: 'rule', color: '#888', strokeDash: dash }, encoding: { y: { field: 'ref', type: 'quantitative' } } };
}

/** The line y = x over [lo, hi] (named `identity`). */
export function identityLine(lo: number, hi: number, x: string, y: string): Unit {
  return { name: 'identity', data: { values: [{ [x]: lo, [y]: lo }, { [x]: hi, [y]: hi }] }, mark: { type: 'line', color: '#888', strokeDash: [4, 3] }, encoding: { x: { field: x, type: 'quantitative' }, y: { field: y, type: 'quantitative' } } };
}

/** Min and max of the finite values of the given fields over `rows`. */
export function extent(rows: readonly Row[], fields: readonly string[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of rows) {
    for (const f of fields) {
      const v = r[f];
      if (typeof v === 'number' && Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

/** A layered chart over `rows`. */
export function layered(rows: readonly Row[], layers: readonly Unit[], size = { width: 320, height: 260 }): TopLevelSpec {
  return { data: { values: rows as Row[] }, layer: layers, ...size } as unknown as TopLevelSpec;
}
