/**
 * Shared by both emitters: turns the roots of one function case into temporaries plus one expression per root,
 * given a language's node printer.
 */
import type { ExprNode, ExprPool, NodeId } from '../ir/expr.js';
import { schedule } from './schedule.js';

export interface StraightLine {
  /** [name, expression] pairs, in evaluation order. */
  readonly temporaries: readonly (readonly [string, string])[];
  /** The expression of each root. */
  readonly results: readonly string[];
}

export function straightLine(pool: ExprPool, roots: readonly NodeId[], print: (n: ExprNode, ref: (id: NodeId) => string) => string): StraightLine {
  const { temporaries } = schedule(pool, roots);
  const names = new Map<NodeId, string>();
  const text = (id: NodeId): string => names.get(id) ?? print(pool.get(id), text);
  const temps: [string, string][] = [];
  for (const id of temporaries) {
    const expr = text(id);
    const name = `v${id}`;
    names.set(id, name);
    temps.push([name, expr]);
  }
  return { temporaries: temps, results: roots.map(text) };
}
