/** IR node → TypeScript (f64) expression text. */
import { builtins } from '../../stdlib/builtins.js';
import type { ExprNode, NodeId } from '../ir/expr.js';

export function tsNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '(-Infinity)';
  const s = String(v);
  return v < 0 || Object.is(v, -0) ? `(${s})` : s;
}

/** A parameter of a generated function: its name and its TypeScript type. */
export type Param = readonly [name: string, type: string];

/**
 * `export function name(a: A, …): void {`, or without the types for the JavaScript the runtime imports directly
 * (the emitted module's only type syntax is in these headers, so the runtime needs no TypeScript compiler).
 */
export function functionHeader(name: string, params: readonly Param[], typed: boolean): string {
  return `export function ${name}(${params.map(([n, t]) => (typed ? `${n}: ${t}` : n)).join(', ')})${typed ? ': void' : ''} {`;
}

const varNames = { t: 't', x: 'x', p: 'p', c: 'c', phi: 'phi', eta: 'eta', e: 'e', f: 'f' } as const;

/** Prints one node, with `ref` giving the text of each operand (a temporary's name or the inlined expression). */
export function printTs(n: ExprNode, ref: (id: NodeId) => string): string {
  switch (n.op) {
    case 'const':
      return tsNumber(n.value);
    case 'var':
      return n.kind === 't' || n.kind === 'f' ? varNames[n.kind] : `${varNames[n.kind]}[${n.index}]`;
    case 'add':
      return `(${ref(n.a)} + ${ref(n.b)})`;
    case 'sub':
      return `(${ref(n.a)} - ${ref(n.b)})`;
    case 'mul':
      return `(${ref(n.a)} * ${ref(n.b)})`;
    case 'div':
      return `(${ref(n.a)} / ${ref(n.b)})`;
    case 'pow':
      return `Math.pow(${ref(n.a)}, ${ref(n.b)})`;
    case 'neg':
      return `(-${ref(n.a)})`;
    case 'call':
      return builtins.get(n.fn)!.ts(n.args.map(ref));
    case 'lt':
      return `(${ref(n.a)} < ${ref(n.b)})`;
    case 'le':
      return `(${ref(n.a)} <= ${ref(n.b)})`;
    case 'gt':
      return `(${ref(n.a)} > ${ref(n.b)})`;
    case 'ge':
      return `(${ref(n.a)} >= ${ref(n.b)})`;
    case 'eq':
      return `(${ref(n.a)} === ${ref(n.b)})`;
    case 'ne':
      return `(${ref(n.a)} !== ${ref(n.b)})`;
    case 'and':
      return `(${ref(n.a)} && ${ref(n.b)})`;
    case 'or':
      return `(${ref(n.a)} || ${ref(n.b)})`;
    case 'not':
      return `(!${ref(n.a)})`;
    case 'select':
      return `(${ref(n.cond)} ? ${ref(n.then)} : ${ref(n.else)})`;
  }
}
