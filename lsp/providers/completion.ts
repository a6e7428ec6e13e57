/**
 * Completion: the words that fit where the cursor is — block names at the top level, the names in scope of the block
 * (with their kinds), built-in functions with their signatures, the block's modifier words and keywords, only the
 * states after `d/dt` (those still without an equation first), `normal` after `~`, the error models and error
 * parameters after `sd =`.
 *
 * Typed characters that ask for completion (`triggerCharacters`): ' ' answers only where the next word is one of a few
 * (after `d/dt`, `~` and `sd =`), so typing a space elsewhere pops nothing up; '/' completes `d/` to `d/dt` in the ode
 * block and otherwise offers what can follow an operator, as do '(' and ','.
 */
import { CompletionItemKind, type CompletionItem } from 'vscode-languageserver';
import type { IToken } from 'chevrotain';
import type { SymbolKind } from '../../compiler/check/checked-model.js';
import { blockKeywords } from '../../grammar/parser.js';
import { builtins, macros, namedConstants, specialForms } from '../../stdlib/builtins.js';
import type { Analysis } from '../analysis.js';
import { errorModels, observationDistribution } from '../language-words.js';

/** The characters that make an editor ask for completion as they are typed. */
export const triggerCharacters = [' ', '(', '/', ','];

const expressionKeywords = ['if', 'then', 'else', 'and', 'or', 'not', 'piecewise', 'otherwise', 'sum', 'in'];

/** Per block: the kinds of names usable there, and its own words. */
const blocks: Record<string, { readonly names: readonly SymbolKind[]; readonly words: readonly string[]; readonly expressions: boolean }> = {
  parameters: { names: ['covariate', 'parameter', 'constant'], words: ['normal', 'lognormal', 'logitnormal', 'probitnormal', 'fixed', 'in', 'effect', 'omega', 'iov'], expressions: true },
  error: { names: [], words: ['fixed'], expressions: false },
  covariates: { names: [], words: ['categorical', 'continuous', 'interpolate', 'occasions'], expressions: false },
  constants: { names: ['constant'], words: [], expressions: true },
  states: { names: ['parameter', 'covariate', 'constant', 'definition'], words: [], expressions: true },
  ode: { names: ['parameter', 'covariate', 'constant', 'state', 'definition', 'time'], words: ['d/dt', ...expressionKeywords], expressions: true },
  dosing: { names: ['parameter', 'covariate', 'constant', 'state', 'definition'], words: ['input', 'dose', 'at', 'lag', 'bioavailability', 'infusion', 'duration', 'rate', 'cmt', ...expressionKeywords], expressions: true },
  observe: {
    names: ['parameter', 'errorParameter', 'covariate', 'constant', 'state', 'definition', 'time'],
    words: ['normal', 'sd', 'constant', 'proportional', 'combined', 'combined1', 'combined2', 'censored', 'dvid', 'left', 'right', 'interval', 'fixed', ...expressionKeywords],
    expressions: true,
  },
};

const itemKind: Record<SymbolKind, CompletionItemKind> = {
  parameter: CompletionItemKind.Variable,
  errorParameter: CompletionItemKind.Variable,
  covariate: CompletionItemKind.Field,
  constant: CompletionItemKind.Constant,
  state: CompletionItemKind.Variable,
  definition: CompletionItemKind.Function,
  time: CompletionItemKind.Variable,
  namedConstant: CompletionItemKind.Constant,
};

const kindLabel: Record<SymbolKind, string> = {
  parameter: 'parameter', errorParameter: 'error parameter', covariate: 'covariate', constant: 'constant', state: 'state', definition: 'definition', time: 'time',
  namedConstant: 'constant',
};

interface Context {
  /** The block the cursor is in (its keyword), or undefined at the top level. */
  readonly block: string | undefined;
  readonly afterDdt: boolean;
  /** After `~`: the distribution comes next. */
  readonly afterTilde: boolean;
  /** After `sd =`: the error model comes next. */
  readonly afterSd: boolean;
  readonly hasModel: boolean;
  readonly inert: boolean;
  /** The special form whose parentheses the cursor is in (mlp), for its named arguments. */
  readonly inForm: string | undefined;
  /** Inside a special form, after `name =`: that argument's name. */
  readonly afterArgument: string | undefined;
}

/** Where the cursor is, from the tokens before it. */
function context(tokens: readonly IToken[], offset: number, wordStart: number): Context {
  let depth = 0;
  let block: string | undefined;
  let previous: IToken | undefined;
  let beforePrevious: IToken | undefined;
  let hasModel = false;
  // The callee of each open parenthesis ('' for a parenthesis that is no call).
  const calls: string[] = [];
  for (const t of tokens) {
    const end = (t.endOffset ?? t.startOffset) + 1;
    const type = t.tokenType.name;
    if (t.startOffset < offset && offset < end + (type === 'Comment' ? 1 : 0) && (type === 'Comment' || type === 'StringLiteral')) {
      return { block, afterDdt: false, afterTilde: false, afterSd: false, hasModel, inert: true, inForm: undefined, afterArgument: undefined };
    }
    if (end > wordStart) break;
    if (type === 'Comment') continue;
    if (type === 'Kw_model') hasModel = true;
    if (type === 'LBrace') {
      if (depth === 0) block = previous?.image;
      depth++;
    } else if (type === 'RBrace') {
      depth = Math.max(0, depth - 1);
      if (depth === 0) block = undefined;
      calls.length = 0;
    } else if (type === 'LParen') {
      calls.push(previous?.tokenType.name === 'Identifier' ? previous.image : '');
    } else if (type === 'RParen') {
      calls.pop();
    }
    beforePrevious = previous;
    previous = t;
  }
  return {
    block: depth > 0 ? block : undefined, afterDdt: previous?.tokenType.name === 'DDt', afterTilde: previous?.tokenType.name === 'Tilde',
    afterSd: previous?.tokenType.name === 'Equals' && beforePrevious?.image === 'sd', hasModel, inert: false,
    inForm: specialForms.has(calls.at(-1) ?? '') ? calls.at(-1) : undefined,
    afterArgument: previous?.tokenType.name === 'Equals' ? beforePrevious?.image : undefined,
  };
}

/** `trigger`: the character whose typing asked for completion (absent when the user asked). */
export function completion(analysis: Analysis, offset: number, trigger?: string): CompletionItem[] {
  const text = analysis.text;
  const prefix = /[A-Za-z_][A-Za-z0-9_]*$/.exec(text.slice(Math.max(0, offset - 200), offset))?.[0] ?? '';
  const ctx = context(analysis.result.tokens, offset, offset - prefix.length);
  if (ctx.inert) return [];
  if (trigger !== undefined && ctx.block === undefined) return [];
  if (trigger === ' ' && !ctx.afterDdt && !(ctx.block === 'observe' && (ctx.afterTilde || ctx.afterSd)) && !(ctx.inForm && ctx.afterArgument)) return [];
  if (trigger === '/' && ctx.block === 'ode' && /(^|[\s{;])d\/$/.test(text.slice(Math.max(0, offset - 3), offset))) {
    return [{ label: 'dt', kind: CompletionItemKind.Keyword, detail: "d/dt X = ...: a state's derivative", sortText: '0dt' }];
  }
  const checked = analysis.result.checked;
  const symbols = checked ? [...checked.symbols.values()] : [];
  const items: CompletionItem[] = [];
  const keyword = (word: string, sort = '2'): CompletionItem => ({ label: word, kind: CompletionItemKind.Keyword, sortText: `${sort}${word}` });

  if (ctx.afterDdt) {
    const withEquation = new Set(analysis.result.ast.ode.flatMap((s) => (s.kind === 'derivative' ? [s.state] : [])));
    return symbols
      .filter((s) => s.kind === 'state')
      .map((s) => ({ label: s.name, kind: CompletionItemKind.Variable, detail: 'state', sortText: `${withEquation.has(s.name) ? 1 : 0}${s.name}`, ...(s.doc ? { documentation: s.doc } : {}) }));
  }
  if (ctx.block === 'observe' && ctx.afterTilde) {
    return [{ label: 'normal', kind: CompletionItemKind.Keyword, detail: observationDistribution.signature, documentation: { kind: 'markdown', value: observationDistribution.doc } }];
  }
  if (ctx.block === 'observe' && ctx.afterSd) {
    const models: CompletionItem[] = [...errorModels].map(([name, w]) => ({
      label: name, kind: CompletionItemKind.Function, detail: w.signature, documentation: { kind: 'markdown', value: w.doc }, sortText: `1${name}`,
    }));
    const parameters = symbols.filter((s) => s.kind === 'errorParameter').map((s) => ({ label: s.name, kind: itemKind[s.kind], detail: kindLabel[s.kind], sortText: `0${s.name}`, ...(s.doc ? { documentation: s.doc } : {}) }));
    return [...parameters, ...models];
  }
  if (ctx.inForm !== undefined) {
    const form = specialForms.get(ctx.inForm)!;
    const argument = form.arguments.find((a) => a.name === ctx.afterArgument);
    if (argument?.words) return argument.words.map((w) => ({ label: w, kind: CompletionItemKind.EnumMember, detail: `${ctx.inForm}(..., ${argument.name} = ${w})`, documentation: argument.doc, sortText: `0${w}` }));
    if (ctx.afterArgument === undefined) {
      for (const a of form.arguments) items.push({ label: a.name, kind: CompletionItemKind.Property, detail: `${ctx.inForm}(..., ${a.name} = …)`, documentation: a.doc, insertText: `${a.name} = `, sortText: `0${a.name}` });
    }
  }
  if (ctx.block === undefined) {
    if (!ctx.hasModel) items.push(keyword('model', '0'));
    for (const b of blockKeywords) items.push(keyword(b, '1'));
    return items;
  }
  const spec = blocks[ctx.block] ?? blocks['ode']!;
  for (const s of symbols) {
    if (!spec.names.includes(s.kind)) continue;
    items.push({
      label: s.name, kind: itemKind[s.kind], detail: `${kindLabel[s.kind]}${s.unit !== undefined ? ` (${s.unit})` : ''}`, sortText: `0${s.name}`,
      ...(s.doc ? { documentation: s.doc } : {}),
    });
  }
  if (spec.expressions) {
    for (const f of [...builtins.values(), ...macros.values()]) {
      items.push({ label: f.name, kind: CompletionItemKind.Function, detail: f.signature, documentation: { kind: 'markdown', value: f.doc }, sortText: `1${f.name}` });
    }
    for (const [name, f] of specialForms) items.push({ label: name, kind: CompletionItemKind.Function, detail: f.signature, documentation: { kind: 'markdown', value: f.doc }, sortText: `1${name}` });
    for (const [name, c] of namedConstants) items.push({ label: name, kind: CompletionItemKind.Constant, detail: 'constant', documentation: c.doc, sortText: `1${name}` });
  }
  const seen = new Set(items.map((i) => i.label));
  for (const w of spec.words) if (!seen.has(w)) items.push(keyword(w));
  return items;
}
