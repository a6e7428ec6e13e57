/**
 * A readable dump of the Model IR (`nlmc build --emit ir`, golden tests, the editor's "show IR"): every
 * function as straight-line code with shared subexpressions named, variables shown by their model names.
 */
import type { ExprNode, NodeId, VarKind } from './expr.js';
import { children, topoOrder, type ExprPool } from './expr.js';
import type { ModelIR } from './model-ir.js';

const infix: Partial<Record<ExprNode['op'], string>> = {
  add: '+', sub: '-', mul: '*', div: '/', pow: '^', lt: '<', le: '<=', gt: '>', ge: '>=', eq: '==', ne: '!=', and: 'and', or: 'or',
};

/** Variable names as the modeler wrote them. */
export function variableNamer(ir: ModelIR): (kind: VarKind, index: number) => string {
  return (kind, index) => {
    switch (kind) {
      case 't': return 't';
      case 'x': return ir.states[index]?.name ?? `x[${index}]`;
      case 'p': return ir.parameters[index]?.name ?? `p[${index}]`;
      case 'c': return ir.covariates[index]?.name ?? `c[${index}]`;
      case 'phi': return `phi_${ir.parameters[index]?.name ?? index}`;
      case 'eta': return ir.randomEffects[index]?.name ?? `eta[${index}]`;
      case 'e': return ir.errorParameters[index]?.name ?? `e[${index}]`;
      case 'f': return 'f';
    }
  };
}

/** Prints one set of roots as `let` lines plus results. */
export function printRoots(pool: ExprPool, roots: readonly NodeId[], name: (kind: VarKind, index: number) => string, labels: readonly string[]): string[] {
  const order = topoOrder(pool, roots);
  const uses = new Map<NodeId, number>();
  for (const id of order) for (const c of children(pool.get(id))) uses.set(c, (uses.get(c) ?? 0) + 1);
  const names = new Map<NodeId, string>();
  const text = (id: NodeId): string => {
    const named = names.get(id);
    if (named) return named;
    const n = pool.get(id);
    switch (n.op) {
      case 'const': return String(n.value);
      case 'var': return name(n.kind, n.index);
      case 'neg': return `(-${text(n.a)})`;
      case 'not': return `(not ${text(n.a)})`;
      case 'call': return `${n.fn}(${n.args.map(text).join(', ')})`;
      case 'select': return `(if ${text(n.cond)} then ${text(n.then)} else ${text(n.else)})`;
      default: {
        const op = infix[n.op];
        const bn = n as { a: NodeId; b: NodeId };
        return `(${text(bn.a)} ${op} ${text(bn.b)})`;
      }
    }
  };
  const lines: string[] = [];
  for (const id of order) {
    const n = pool.get(id);
    if (n.op === 'const' || n.op === 'var' || (uses.get(id) ?? 0) < 2) continue;
    const t = text(id);
    names.set(id, `%${id}`);
    lines.push(`  %${id} = ${t}`);
  }
  roots.forEach((r, i) => lines.push(`  ${labels[i] ?? `out[${i}]`} = ${text(r)}`));
  return lines;
}

export function printIr(ir: ModelIR): string {
  const pool = ir.builder.pool;
  const name = variableNamer(ir);
  const out: string[] = [`model ${ir.name}`];
  out.push(`states: ${ir.states.map((s) => s.name).join(', ')}`);
  out.push(`covariates: ${ir.covariates.map((c) => `${c.name}${c.occasions !== undefined ? ` (occasions 1..${c.occasions})` : c.categorical ? ' (categorical)' : ''}`).join(', ') || '(none)'}`);
  out.push('parameters:');
  for (const p of ir.parameters) {
    const eta = p.eta !== undefined ? `, ${ir.randomEffects[p.eta]!.name} ~ N(0, ${ir.randomEffects[p.eta]!.omegaInitial}^2)${ir.randomEffects[p.eta]!.omegaFixed ? ' fixed' : ''}` : '';
    const occasion = p.occasion ? ` (occasion ${p.occasion.occasion} of ${ir.parameters[p.occasion.of]!.name}, sd ${ir.randomEffects[p.eta!]!.omegaName})` : '';
    out.push(`  ${p.name} = ${p.initial} ${p.transform.kind}${p.fixed ? ' fixed' : ''}${eta}${p.neural ? ' (neural weight)' : ''}${occasion}`);
  }
  for (const c of ir.correlations) out.push(`  corr(${ir.randomEffects[c.first]!.name}, ${ir.randomEffects[c.second]!.name}) = ${c.initial}${c.fixed ? ' fixed' : ''}`);
  out.push(`error parameters: ${ir.errorParameters.map((e) => `${e.name} = ${e.initial}${e.fixed ? ' fixed' : ''}`).join(', ') || '(none)'}`);
  out.push(`sensitivity parameters: ${ir.sensitivityParameters.map((k) => ir.parameters[k]!.name).join(', ') || '(none)'}`);
  out.push('individual (p = g(phi, eta, c)):', ...printRoots(pool, ir.individual, name, ir.parameters.map((p) => p.name)));
  out.push('initial:', ...printRoots(pool, ir.initial, name, ir.states.map((s) => `${s.name}(0)`)));
  out.push('rhs:', ...printRoots(pool, ir.rhs, name, ir.states.map((s) => `d/dt ${s.name}`)));
  for (const o of ir.outputs) {
    out.push(`output ${o.name} (dvid ${o.dvid}${o.dataTransform ? `, data ${o.dataTransform}-transformed` : ''}${o.censoring ? `, ${o.censoring}-censored` : ''}, ${o.errorModel.kind} error):`);
    out.push(...printRoots(pool, [o.prediction, o.sd], name, ['prediction', 'sd']));
  }
  for (const i of ir.inputs) {
    const parts = [`input ${i.name} -> ${ir.states[i.target]!.name} (cmt ${i.cmt}${i.infusion ? ', infusion' : ''})`];
    out.push(parts[0]!);
    const roots: NodeId[] = [];
    const labels: string[] = [];
    for (const key of ['lag', 'bioavailability', 'duration', 'rate'] as const) {
      const r = i[key];
      if (r !== undefined) {
        roots.push(r);
        labels.push(key);
      }
    }
    out.push(...printRoots(pool, roots, name, labels));
  }
  ir.doses.forEach((d, k) => {
    out.push(`dose ${k + 1} -> ${ir.states[d.target]!.name}:`);
    out.push(...printRoots(pool, [d.amount, ...d.times, ...(d.duration !== undefined ? [d.duration] : [])], name, ['amount', ...d.times.map((_, j) => `time[${j}]`), 'duration']));
  });
  out.push('breakpoints:', ...printRoots(pool, ir.breakpoints, name, ir.breakpoints.map((_, i) => `bp[${i}]`)));
  return `${out.join('\n')}\n`;
}

/** Counts of nodes by operator: a cheap fingerprint for tests. */
export function opCounts(pool: ExprPool, roots: readonly NodeId[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of topoOrder(pool, roots)) {
    const op = pool.get(id).op;
    counts[op] = (counts[op] ?? 0) + 1;
  }
  return counts;
}

