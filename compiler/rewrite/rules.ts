/**
 * Simplification rules as data. Each rule looks at one freshly built node whose operands are already simple and
 * either returns a simpler equivalent or undefined. Rules hold for finite values (the usual computer-algebra
 * convention: 0·x → 0 although 0·∞ is NaN in IEEE arithmetic).
 */
import type { ExprNode, NodeId } from '../ir/expr.js';

export interface RuleContext {
  node(id: NodeId): ExprNode;
  constValue(id: NodeId): number | undefined;
  num(value: number): NodeId;
  neg(a: NodeId): NodeId;
  div(a: NodeId, b: NodeId): NodeId;
  pow(a: NodeId, b: NodeId): NodeId;
  mul(a: NodeId, b: NodeId): NodeId;
  add(a: NodeId, b: NodeId): NodeId;
  sub(a: NodeId, b: NodeId): NodeId;
}

export interface Rule {
  readonly name: string;
  /** The identity, for the reader. */
  readonly math: string;
  readonly op: ExprNode['op'];
  readonly apply: (n: ExprNode, ctx: RuleContext) => NodeId | undefined;
}

type Binary = Extract<ExprNode, { a: NodeId; b: NodeId }>;
const bin = (n: ExprNode): Binary => n as Binary;
const is = (ctx: RuleContext, id: NodeId, v: number): boolean => ctx.constValue(id) === v;

export const rules: readonly Rule[] = [
  { name: 'add-zero-left', math: '0 + x = x', op: 'add', apply: (n, c) => (is(c, bin(n).a, 0) ? bin(n).b : undefined) },
  { name: 'add-zero-right', math: 'x + 0 = x', op: 'add', apply: (n, c) => (is(c, bin(n).b, 0) ? bin(n).a : undefined) },
  {
    name: 'add-neg', math: 'x + (-y) = x - y', op: 'add',
    apply: (n, c) => {
      const b = c.node(bin(n).b);
      return b.op === 'neg' ? c.sub(bin(n).a, b.a) : undefined;
    },
  },
  {
    name: 'sub-neg', math: 'x - (-y) = x + y', op: 'sub',
    apply: (n, c) => {
      const b = c.node(bin(n).b);
      return b.op === 'neg' ? c.add(bin(n).a, b.a) : undefined;
    },
  },
  { name: 'sub-zero', math: 'x - 0 = x', op: 'sub', apply: (n, c) => (is(c, bin(n).b, 0) ? bin(n).a : undefined) },
  { name: 'zero-sub', math: '0 - x = -x', op: 'sub', apply: (n, c) => (is(c, bin(n).a, 0) ? c.neg(bin(n).b) : undefined) },
  { name: 'sub-self', math: 'x - x = 0', op: 'sub', apply: (n, c) => (bin(n).a === bin(n).b ? c.num(0) : undefined) },
  { name: 'mul-zero', math: '0 · x = x · 0 = 0', op: 'mul', apply: (n, c) => (is(c, bin(n).a, 0) || is(c, bin(n).b, 0) ? c.num(0) : undefined) },
  { name: 'mul-one-left', math: '1 · x = x', op: 'mul', apply: (n, c) => (is(c, bin(n).a, 1) ? bin(n).b : undefined) },
  { name: 'mul-one-right', math: 'x · 1 = x', op: 'mul', apply: (n, c) => (is(c, bin(n).b, 1) ? bin(n).a : undefined) },
  { name: 'mul-minus-one', math: '(-1) · x = -x', op: 'mul', apply: (n, c) => (is(c, bin(n).a, -1) ? c.neg(bin(n).b) : is(c, bin(n).b, -1) ? c.neg(bin(n).a) : undefined) },
  {
    name: 'mul-neg-neg', math: '(-x) · (-y) = x · y', op: 'mul',
    apply: (n, c) => {
      const a = c.node(bin(n).a);
      const b = c.node(bin(n).b);
      return a.op === 'neg' && b.op === 'neg' ? c.mul(a.a, b.a) : undefined;
    },
  },
  { name: 'div-one', math: 'x / 1 = x', op: 'div', apply: (n, c) => (is(c, bin(n).b, 1) ? bin(n).a : undefined) },
  { name: 'zero-div', math: '0 / x = 0', op: 'div', apply: (n, c) => (is(c, bin(n).a, 0) ? c.num(0) : undefined) },
  { name: 'div-self', math: 'x / x = 1', op: 'div', apply: (n, c) => (bin(n).a === bin(n).b ? c.num(1) : undefined) },
  { name: 'div-minus-one', math: 'x / (-1) = -x', op: 'div', apply: (n, c) => (is(c, bin(n).b, -1) ? c.neg(bin(n).a) : undefined) },
  { name: 'pow-one', math: 'x ^ 1 = x', op: 'pow', apply: (n, c) => (is(c, bin(n).b, 1) ? bin(n).a : undefined) },
  { name: 'pow-zero', math: 'x ^ 0 = 1', op: 'pow', apply: (n, c) => (is(c, bin(n).b, 0) ? c.num(1) : undefined) },
  { name: 'one-pow', math: '1 ^ x = 1', op: 'pow', apply: (n, c) => (is(c, bin(n).a, 1) ? c.num(1) : undefined) },
  {
    name: 'pow-pow-int', math: '(x ^ a) ^ b = x ^ (a·b) for integer b', op: 'pow',
    apply: (n, c) => {
      const inner = c.node(bin(n).a);
      const b = c.constValue(bin(n).b);
      if (inner.op !== 'pow' || b === undefined || !Number.isInteger(b)) return undefined;
      const a = c.constValue(inner.b);
      return a === undefined ? undefined : c.pow(inner.a, c.num(a * b));
    },
  },
  {
    name: 'neg-neg', math: '-(-x) = x', op: 'neg',
    apply: (n, c) => {
      const inner = c.node((n as { a: NodeId }).a);
      return inner.op === 'neg' ? inner.a : undefined;
    },
  },
  {
    name: 'select-same', math: 'c ? x : x = x', op: 'select',
    apply: (n) => {
      const s = n as Extract<ExprNode, { op: 'select' }>;
      return s.then === s.else ? s.then : undefined;
    },
  },
  {
    name: 'select-const', math: 'true ? x : y = x; false ? x : y = y', op: 'select',
    apply: (n, c) => {
      const s = n as Extract<ExprNode, { op: 'select' }>;
      const v = c.constValue(s.cond);
      return v === undefined ? undefined : v !== 0 ? s.then : s.else;
    },
  },
  {
    name: 'exp-log', math: 'exp(log(x)) = x (log already requires x > 0)', op: 'call',
    apply: (n, c) => {
      const call = n as Extract<ExprNode, { op: 'call' }>;
      if (call.fn !== 'exp') return undefined;
      const inner = c.node(call.args[0]!);
      return inner.op === 'call' && inner.fn === 'log' ? inner.args[0] : undefined;
    },
  },
  {
    name: 'log-exp', math: 'log(exp(x)) = x', op: 'call',
    apply: (n, c) => {
      const call = n as Extract<ExprNode, { op: 'call' }>;
      if (call.fn !== 'log') return undefined;
      const inner = c.node(call.args[0]!);
      return inner.op === 'call' && inner.fn === 'exp' ? inner.args[0] : undefined;
    },
  },
];

/** Rules indexed by the operator they apply to. */
export const rulesByOp: ReadonlyMap<ExprNode['op'], readonly Rule[]> = (() => {
  const m = new Map<ExprNode['op'], Rule[]>();
  for (const r of rules) m.set(r.op, [...(m.get(r.op) ?? []), r]);
  return m;
})();
