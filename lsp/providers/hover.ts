/**
 * Hover: what a name is — a parameter's initial value, distribution, ω, bounds, unit and doc comment, and its estimate
 * when the model has been fitted; a built-in's signature and doc; what the language's own words mean (distributions,
 * error models, `if`, `piecewise`, `sum`: lsp/language-words.ts).
 */
import type { Hover, Range as LspRange } from 'vscode-languageserver';
import type { CheckedModel, SymbolInfo, Transform } from '../../compiler/check/checked-model.js';
import { builtins, macros, namedConstants, specialForms } from '../../stdlib/builtins.js';
import { occasionCovariate } from '../../compiler/check/occasions.js';
import type { Analysis } from '../analysis.js';
import { textOf, toLspRange, touches } from '../convert.js';
import { declarationStatement } from '../declarations.js';
import { formatDate, formatNumber, isStale, type FitEstimate, type FitSummary } from '../fit-results.js';
import { correlationWord, errorModels, expressionKeywords, observationDistribution, occasionWords, parameterDistributions, type WordDoc } from '../language-words.js';
import { symbolAt } from '../symbol-at.js';

export function hover(analysis: Analysis, offset: number, fit: FitSummary | undefined): Hover | null {
  const hit = symbolAt(analysis, offset);
  if (!hit) {
    const word = languageWordAt(analysis, offset, fit);
    return word ? { contents: { kind: 'markdown', value: word.value }, range: word.range } : null;
  }
  const range = toLspRange(analysis.document, hit.range);
  let value: string;
  if (hit.kind === 'function') {
    const f = builtins.get(hit.name) ?? macros.get(hit.name) ?? specialForms.get(hit.name)!;
    value = `${code(f.signature)}\n**built-in function**\n\n${f.doc}`;
  } else if (hit.kind === 'namedConstant') {
    value = `${code(hit.name)}\n**constant**\n\n${namedConstants.get(hit.name)?.doc ?? ''}`;
  } else {
    value = describeSymbol(analysis, hit.symbol, fit);
  }
  return { contents: { kind: 'markdown', value }, range };
}

const code = (text: string): string => `\`\`\`nlm\n${text}\n\`\`\``;

const wordText = (w: WordDoc, detail?: string): string => [code(w.signature), `**${w.kind}**`, w.doc, ...(detail ? ['---', detail] : [])].join('\n\n');

/**
 * The language's own word at the offset: a parameter's distribution, the observation distribution, an error model,
 * or a keyword of `if`, `piecewise` and `sum`; with what it means for the declaration it is in.
 */
function languageWordAt(analysis: Analysis, offset: number, fit?: FitSummary): { value: string; range: LspRange } | undefined {
  const { ast, checked, tokens } = analysis.result;
  const doc = analysis.document;
  const lsp = (range: { start: { offset: number }; end: { offset: number } }): LspRange => ({ start: doc.positionAt(range.start.offset), end: doc.positionAt(range.end.offset) });
  for (const c of ast.correlations) {
    if (c.word !== 'correlation' || !touches(c.wordRange, offset)) continue;
    const names = [c.first, c.second].sort((a, b) => ast.parameters.findIndex((p) => p.name === a) - ast.parameters.findIndex((p) => p.name === b));
    const estimate = fit?.estimates.get(`corr_${names[0]}_${names[1]}`);
    const detail = [`\`${c.first}\` and \`${c.second}\` start at correlation ${c.initial}${c.modifiers.some((m) => m.kind === 'fixed') ? ', fixed' : ''}.`];
    const fitted = fit ? fitLine(fit, analysis.text, estimate, undefined) : undefined;
    if (fitted) detail.push(fitted);
    return { value: wordText(correlationWord, detail.join('\n\n')), range: lsp(c.wordRange) };
  }
  for (const p of ast.parameters) {
    for (const m of p.modifiers) {
      if (m.kind !== 'word' || !touches(m.wordRange, offset)) continue;
      if (m.word === 'iov') {
        const fitted = fit ? fitLine(fit, analysis.text, undefined, undefined, fit.estimates.get(`omega_iov_${p.name}`)) : undefined;
        return { value: wordText(occasionWords.get('iov')!, fitted), range: lsp(m.wordRange) };
      }
      const word = parameterDistributions.get(m.word);
      if (!word) return undefined;
      const checkedParameter = checked?.parameters.find((x) => x.name === p.name);
      return { value: wordText(word, checkedParameter ? distributionDetail(checkedParameter) : undefined), range: lsp(m.wordRange) };
    }
  }
  for (const c of ast.covariates) {
    const m = c.modifiers.find((x) => x.kind === 'word' && x.word === 'occasions' && touches(x.wordRange, offset));
    if (m && m.kind === 'word') return { value: wordText(occasionWords.get('occasions')!), range: lsp(m.wordRange) };
  }
  for (const o of ast.observations) {
    if (touches(o.distributionRange, offset)) return o.distribution === 'normal' ? { value: wordText(observationDistribution), range: lsp(o.distributionRange) } : undefined;
    const sd = o.args.find((a) => a.name === 'sd')?.value;
    if (sd?.kind === 'call' && touches(sd.calleeRange, offset)) {
      const word = errorModels.get(sd.callee);
      return word ? { value: wordText(word, `\`${o.name}\`: \`sd = ${oneLine(textOf(doc, sd.range))}\``), range: lsp(sd.calleeRange) } : undefined;
    }
  }
  for (const t of tokens) {
    if (t.startOffset > offset) break;
    const end = (t.endOffset ?? t.startOffset) + 1;
    const word = expressionKeywords.get(t.tokenType.name);
    if (word && offset <= end) return { value: wordText(word), range: { start: doc.positionAt(t.startOffset), end: doc.positionAt(end) } };
  }
  return undefined;
}

/** `theta1` starts at 0.5 (φ = log 0.5 = −0.693), ω = 0.5: what the distribution means for this parameter. */
function distributionDetail(p: CheckedModel['parameters'][number]): string {
  const t = p.transform;
  const phi = t.kind === 'normal' ? undefined
    : t.kind === 'lognormal' ? `log ${p.initial} = ${formatNumber(Math.log(p.initial))}`
    : t.kind === 'logitnormal' ? `logit((${p.initial} − ${t.lower})/(${t.upper} − ${t.lower})) = ${formatNumber(Math.log((p.initial - t.lower) / (t.upper - p.initial)))}`
    : undefined;
  const start = `\`${p.name}\` starts at ${p.initial}${phi ? ` (φ = ${phi})` : ''}${p.fixed ? ', fixed' : ''}`;
  const omega = p.omega ? `ω = ${p.omega.initial}${p.omega.fixed ? ' (fixed)' : ''}: varies between subjects` : 'no ω: the same for every subject';
  return `${start}; ${omega}.`;
}

function transformText(t: Transform): string {
  switch (t.kind) {
    case 'normal':
      return 'normal (estimated on its natural scale)';
    case 'lognormal':
      return 'lognormal (estimated on the log scale)';
    case 'logitnormal':
      return `logitnormal on (${t.lower}, ${t.upper}) (estimated on the logit scale)`;
    case 'probitnormal':
      return `probitnormal on (${t.lower}, ${t.upper}) (estimated on the probit scale)`;
  }
}

function describeSymbol(analysis: Analysis, symbol: SymbolInfo, fit: FitSummary | undefined): string {
  const checked = analysis.result.checked!;
  const statement = declarationStatement(analysis.result.ast, symbol);
  const source = statement ? textOf(analysis.document, statement).split(/\r?\n/).slice(0, 6).join('\n') : symbol.name;
  const facts: string[] = [];
  const unit = symbol.unit !== undefined ? [`unit \`${symbol.unit}\``] : [];
  let fitText: string | undefined;
  switch (symbol.kind) {
    case 'parameter': {
      const p = checked.parameters.find((x) => x.name === symbol.name);
      facts.push('**parameter**');
      if (p) {
        facts.push(transformText(p.transform), `initial ${p.initial}`);
        if (p.fixed) facts.push('fixed');
        if (p.omega) facts.push(`ω = ${p.omega.initial}${p.omega.fixed ? ' (fixed)' : ''}: varies between subjects`);
        else facts.push('the same for every subject');
        if (p.iov) facts.push(`ω_iov = ${p.iov.initial}${p.iov.fixed ? ' (fixed)' : ''}: varies between occasions (\`${occasionCovariate(checked.covariates)?.name ?? 'OCC'}\`)`);
        const k = checked.parameters.indexOf(p);
        const partners = checked.correlations.filter((c) => c.first === k || c.second === k).map((c) => `\`${checked.parameters[c.first === k ? c.second : c.first]!.name}\` (${c.initial})`);
        if (partners.length > 0) facts.push(`random effect correlated with ${partners.join(', ')}`);
        const decl = analysis.result.ast.parameters.find((x) => x.name === symbol.name);
        const effects = (decl?.modifiers ?? []).filter((m) => m.kind === 'word' && m.word === 'effect');
        if (effects.length > 0) facts.push(`covariate ${effects.length === 1 ? 'effect' : 'effects'} ${effects.map((m) => `\`${oneLine(textOf(analysis.document, m.range))}\``).join(', ')}`);
      }
      facts.push(...unit);
      if (fit) fitText = fitLine(fit, analysis.text, fit.estimates.get(symbol.name), fit.estimates.get(`omega_${symbol.name}`), fit.estimates.get(`omega_iov_${symbol.name}`));
      break;
    }
    case 'errorParameter': {
      const e = checked.errorParameters.find((x) => x.name === symbol.name);
      facts.push('**error parameter** (a residual standard deviation)');
      if (e) facts.push(`initial ${e.initial}`, ...(e.fixed ? ['fixed'] : []));
      if (fit) fitText = fitLine(fit, analysis.text, fit.estimates.get(symbol.name), undefined);
      break;
    }
    case 'covariate': {
      const c = checked.covariates.find((x) => x.name === symbol.name);
      facts.push('**covariate** (a column of the data)', ...(c?.categorical ? ['categorical'] : []), ...unit);
      break;
    }
    case 'constant': {
      const v = checked.constants.get(symbol.name);
      facts.push('**constant**', ...(v === undefined ? [] : [`= ${typeof v === 'number' ? v : `[${v.join(', ')}]`}`]));
      break;
    }
    case 'state': {
      const decl = analysis.result.ast.states.find((x) => x.name === symbol.name);
      const initial = decl?.initial ? afterEquals(textOf(analysis.document, decl.range)) : undefined;
      facts.push('**state**', initial ? `starts at \`${initial}\`` : 'starts at 0', ...unit);
      const equation = analysis.result.ast.ode.find((x) => x.kind === 'derivative' && x.state === symbol.name);
      if (equation) facts.push(`\`${oneLine(textOf(analysis.document, equation.range))}\``);
      break;
    }
    case 'definition':
      facts.push('**definition**', ...definitionOrder(checked, symbol.name));
      break;
    case 'time':
      facts.push('**time**');
      break;
    case 'namedConstant':
      facts.push('**constant**');
      break;
  }
  const parts = [code(symbol.kind === 'time' ? 't' : source), facts.join(' · ')];
  if (symbol.doc) parts.push(symbol.doc);
  if (fitText) parts.push('---', fitText);
  return parts.join('\n\n');
}

/** The text after a declaration's `=` (its value as written: ranges of parenthesised expressions omit the brackets). */
function afterEquals(s: string): string {
  return oneLine(s.slice(s.indexOf('=') + 1).replace(/"[^"]*"\s*$/, ''));
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}…` : flat;
}

function definitionOrder(checked: CheckedModel, name: string): string[] {
  const i = checked.definitions.findIndex((d) => d.name === name);
  return i < 0 ? [] : [`evaluated ${ordinal(i + 1)} of ${checked.definitions.length} definitions`];
}

const ordinal = (n: number): string => `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;

/** RSE in percent: the row's own (estimates.json writes percent), else from SE and the estimate. */
function rsePercent(row: FitEstimate): number | undefined {
  if (row.rse !== undefined) return row.rse;
  return row.se !== undefined && row.estimate !== 0 ? Math.abs(row.se / row.estimate) * 100 : undefined;
}

function estimateText(row: FitEstimate): string {
  const parts = [`**${formatNumber(row.estimate)}**`];
  if (row.fixed) parts.push('(fixed)');
  if (row.se !== undefined) parts.push(`SE ${formatNumber(row.se)}`);
  const rse = rsePercent(row);
  if (rse !== undefined) parts.push(`RSE ${formatNumber(rse)} %`);
  if (row.ciLower !== undefined && row.ciUpper !== undefined) parts.push(`95 % CI [${formatNumber(row.ciLower)}, ${formatNumber(row.ciUpper)}]`);
  return parts.join(' · ');
}

function fitLine(fit: FitSummary, text: string, row: FitEstimate | undefined, omega: FitEstimate | undefined, iov?: FitEstimate): string | undefined {
  if (!row && !omega && !iov) return undefined;
  const when = formatDate(fit.createdAt);
  const head = isStale(fit, text)
    ? `**Fit** ⚠ *stale: the model has changed since this fit*${when ? ` (${when})` : ''}`
    : `**Fit**${when ? ` (${when})` : ''}${fit.complete === false ? ' — incomplete' : ''}`;
  const lines = [head];
  if (row) lines.push(`estimate ${estimateText(row)}`);
  if (omega) lines.push(`ω ${estimateText(omega)}`);
  if (iov) lines.push(`ω_iov ${estimateText(iov)}`);
  return lines.join('  \n');
}
