/** A copy of a model's source with other initial values written in: the perturbed starts of `nlmc study`. */
import type { ModelAst } from '../../grammar/ast.js';
import { compile } from '../../compiler/pipeline.js';
import { correlationEntryName } from '../../compiler/check/correlations.js';
import type { StartValue } from './study.js';

/**
 * The model's source with the start's initial values written in (parameters, ω, error parameters in `error { }` and
 * inline in error models), or an error message when they cannot all be placed: the copy is compiled again and must
 * read exactly these values.
 */
export function withStartValues(source: string, ast: ModelAst, start: readonly StartValue[]): { source: string } | { error: string } {
  const wanted = new Map(start.map((v) => [`${v.kind}:${v.name}`, v.start]));
  const edits: { from: number; to: number; text: string }[] = [];
  const put = (key: string, range: { start: { offset: number }; end: { offset: number } }): void => {
    const v = wanted.get(key);
    if (v !== undefined) edits.push({ from: range.start.offset, to: range.end.offset, text: String(v) });
  };
  for (const p of ast.parameters) {
    put(`parameter:${p.name}`, p.initialRange);
    for (const m of p.modifiers) {
      if (m.kind !== 'word') continue;
      const omegaName = m.word === 'iov' ? `omega_iov_${p.name}` : `omega_${p.name}`;
      for (const a of m.args ?? []) if (a.name === 'omega' && a.value.kind === 'number') put(`omega:${omegaName}`, a.value.range);
    }
  }
  const order = (a: string, b: string): string => {
    const at = (n: string): number => ast.parameters.findIndex((p) => p.name === n);
    return at(a) <= at(b) ? correlationEntryName(a, b) : correlationEntryName(b, a);
  };
  for (const c of ast.correlations) put(`correlation:${order(c.first, c.second)}`, c.initialRange);
  for (const e of ast.errorParameters) put(`error:${e.name}`, e.initialRange);
  for (const o of ast.observations) {
    const sd = o.args.find((a) => a.name === 'sd')?.value;
    if (sd?.kind === 'number') put(`error:${o.name}_sd`, sd.range);
    if (sd?.kind === 'call') {
      sd.args.forEach((a, i) => {
        if (a.value.kind === 'number') put(`error:${a.name ?? `${o.name}_${i === 0 && sd.callee !== 'proportional' ? 'a' : 'b'}`}`, a.value.range);
      });
    }
  }
  let out = source;
  for (const e of [...edits].sort((a, b) => b.from - a.from)) out = out.slice(0, e.from) + e.text + out.slice(e.to);
  const again = compile(out, { emit: [] }).checked;
  const read = new Map<string, number>();
  for (const p of again?.parameters ?? []) {
    read.set(`parameter:${p.name}`, p.initial);
    if (p.omega) read.set(`omega:omega_${p.name}`, p.omega.initial);
    if (p.iov) read.set(`omega:omega_iov_${p.name}`, p.iov.initial);
  }
  for (const c of again?.correlations ?? []) read.set(`correlation:${correlationEntryName(again!.parameters[c.first]!.name, again!.parameters[c.second]!.name)}`, c.initial);
  for (const e of again?.errorParameters ?? []) read.set(`error:${e.name}`, e.initial);
  const missed = [...wanted].filter(([k, v]) => read.get(k) !== v).map(([k]) => k.split(':')[1]);
  return missed.length === 0 ? { source: out } : { error: `could not write the start values of ${missed.join(', ')} into a copy of the model; use --start truth` };
}
