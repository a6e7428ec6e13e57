/** IR node → WGSL (f32) expression text. WGSL's pow is undefined for negative bases, so integer powers get helpers. */
import { builtins } from '../../stdlib/builtins.js';
import type { ExprNode, NodeId } from '../ir/expr.js';

/** The largest finite f32. */
export const F32_MAX = 3.4028234663852886e38;

/** A WGSL float literal; callers check the range first. */
export function wgslNumber(v: number): string {
  let s = String(v);
  if (!/[.e]/.test(s)) s += '.0';
  return v < 0 ? `(${s})` : s;
}

export const wgslPowHelpers: Readonly<Record<string, string>> = {
  nlm_sq: 'fn nlm_sq(x: f32) -> f32 { return x * x; }',
  nlm_powi: `fn nlm_powi(x: f32, n: i32) -> f32 {
  var r = 1.0;
  var b = x;
  var k = abs(n);
  loop {
    if (k == 0) { break; }
    if ((k & 1) == 1) { r = r * b; }
    b = b * b;
    k = k >> 1u;
  }
  return select(r, 1.0 / r, n < 0);
}`,
};

const varNames = { t: 't', x: 'x', p: 'p', c: 'c', phi: 'phi', eta: 'eta', e: 'e', f: 'f' } as const;

/** Makes a printer that records the helper functions it calls. */
export function wgslPrinter(helpers: Set<string>, constValue: (id: NodeId) => number | undefined): (n: ExprNode, ref: (id: NodeId) => string) => string {
  return (n, ref) => {
    switch (n.op) {
      case 'const':
        return wgslNumber(n.value);
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
      case 'pow': {
        const k = constValue(n.b);
        if (k === 2) {
          helpers.add('nlm_sq');
          return `nlm_sq(${ref(n.a)})`;
        }
        if (k === 0.5) return `sqrt(${ref(n.a)})`;
        if (k === -0.5) return `inverseSqrt(${ref(n.a)})`;
        if (k !== undefined && Number.isInteger(k) && Math.abs(k) < 2 ** 31) {
          helpers.add('nlm_powi');
          return `nlm_powi(${ref(n.a)}, ${k})`;
        }
        return `pow(${ref(n.a)}, ${ref(n.b)})`;
      }
      case 'neg':
        return `(-${ref(n.a)})`;
      case 'call': {
        const fn = builtins.get(n.fn)!;
        for (const h of fn.wgslHelpers ?? []) helpers.add(h);
        return fn.wgsl(n.args.map(ref));
      }
      case 'lt':
        return `(${ref(n.a)} < ${ref(n.b)})`;
      case 'le':
        return `(${ref(n.a)} <= ${ref(n.b)})`;
      case 'gt':
        return `(${ref(n.a)} > ${ref(n.b)})`;
      case 'ge':
        return `(${ref(n.a)} >= ${ref(n.b)})`;
      case 'eq':
        return `(${ref(n.a)} == ${ref(n.b)})`;
      case 'ne':
        return `(${ref(n.a)} != ${ref(n.b)})`;
      case 'and':
        return `(${ref(n.a)} && ${ref(n.b)})`;
      case 'or':
        return `(${ref(n.a)} || ${ref(n.b)})`;
      case 'not':
        return `(!${ref(n.a)})`;
      case 'select':
        return `select(${ref(n.else)}, ${ref(n.then)}, ${ref(n.cond)})`;
    }
  };
}
