/**
 * Stage 2: AST → checked model. Declares every name, reads declaration modifiers, resolves and types every
 * expression, orders definitions by dependency (cycles are errors naming the cycle), and enforces where each kind
 * of symbol may be used. All findings are diagnostics; the checked model is returned even when there are errors,
 * so the language server can still answer questions about the rest.
 */
import { diagnostic, hasErrors, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Range } from '../../diagnostics/source-range.js';
import type { DefinitionStmt, Expr, ModelAst } from '../../grammar/ast.js';
import { reservedWords } from '../../grammar/tokens.js';
import { builtins, macros, namedConstants } from '../../stdlib/builtins.js';
import type {
  CheckedCovariate, CheckedDose, CheckedErrorParameter, CheckedInput, CheckedModel, CheckedObservation, CheckedParameter, CheckedState,
  Reference, SymbolInfo, SymbolKind,
} from './checked-model.js';
import { ExprChecker, describeKind } from './check-expr.js';
import { evaluateConstants } from './constants.js';
import { checkCorrelations } from './correlations.js';
import { checkOccasionColumns } from './occasions.js';
import { checkCovariateModifiers, checkDosingModifiers, checkErrorParameter, checkObservationShape, checkParameter, inputWords, type ErrorOperand } from './declarations.js';
import { forEachExpr, namesIn } from './walk.js';

export interface CheckResult {
  readonly model: CheckedModel;
  readonly diagnostics: readonly Diagnostic[];
}

/** Names that cannot be declared: the time variable and named constants. */
const reservedNames = new Set(['t', ...namedConstants.keys()]);

export function checkModel(ast: ModelAst): CheckResult {
  const diagnostics: Diagnostic[] = [];
  const symbols = new Map<string, SymbolInfo>([['t', { name: 't', kind: 'time', doc: 'Time since the start of the subject’s record.' }]]);

  const declare = (name: string, kind: SymbolKind, range: Range, extra: { doc?: string; unit?: string } = {}): boolean => {
    if (!name) return false;
    if (reservedWords.has(name)) {
      diagnostics.push(diagnostic('E202', range, `'${name}' is a keyword; choose another name`));
      return false;
    }
    if (reservedNames.has(name)) {
      diagnostics.push(diagnostic('E202', range, `'${name}' is reserved${name === 't' ? ' for time' : ''}; choose another name`));
      return false;
    }
    const prior = symbols.get(name);
    if (prior) {
      diagnostics.push(
        diagnostic('E200', range, `'${name}' is already declared as a ${describeKind(prior.kind)}`, prior.declRange ? { related: [{ range: prior.declRange, message: `'${name}' first declared here` }] } : {}),
      );
      return false;
    }
    if (builtins.has(name) || macros.has(name) || name === 'mlp') {
      diagnostics.push(diagnostic('E202', range, `'${name}' is a built-in function; choose another name`));
      return false;
    }
    symbols.set(name, { name, kind, declRange: range, ...(extra.doc ? { doc: extra.doc } : {}), ...(extra.unit !== undefined ? { unit: extra.unit } : {}) });
    return true;
  };

  // ---- declarations ----
  const covariates: CheckedCovariate[] = [];
  for (const c of ast.covariates) {
    const { categorical, interpolation, occasions } = checkCovariateModifiers(c.modifiers, diagnostics);
    if (declare(c.name, 'covariate', c.nameRange, { ...(c.doc ? { doc: c.doc } : {}), ...(c.unit !== undefined ? { unit: c.unit } : {}) })) {
      covariates.push({ name: c.name, range: c.nameRange, categorical, interpolation, ...(occasions !== undefined ? { occasions } : {}) });
    }
  }
  for (const c of ast.constants) declare(c.name, 'constant', c.nameRange, c.doc ? { doc: c.doc } : {});
  const parameters: CheckedParameter[] = [];
  for (const p of ast.parameters) {
    const checked = checkParameter(p, diagnostics);
    if (declare(p.name, 'parameter', p.nameRange, { ...(p.doc ? { doc: p.doc } : {}), ...(p.unit !== undefined ? { unit: p.unit } : {}) })) parameters.push(checked);
  }
  checkOccasionColumns(covariates, parameters, diagnostics);
  const errorParameters: CheckedErrorParameter[] = [];
  for (const p of ast.errorParameters) {
    const fixed = checkErrorParameter(p, diagnostics);
    if (declare(p.name, 'errorParameter', p.nameRange, p.doc ? { doc: p.doc } : {})) {
      errorParameters.push({ name: p.name, range: p.nameRange, initial: p.initial, fixed, ...(p.doc ? { doc: p.doc } : {}) });
    }
  }
  for (const s of ast.states) declare(s.name, 'state', s.nameRange, { ...(s.doc ? { doc: s.doc } : {}), ...(s.unit !== undefined ? { unit: s.unit } : {}) });
  const definitions = ast.ode.filter((s): s is DefinitionStmt => s.kind === 'definition');
  for (const d of definitions) declare(d.name, 'definition', d.nameRange, d.doc ? { doc: d.doc } : {});

  const uses = new Map<string, number>();
  // Observations may declare error parameters inline (`sd = combined(a = 0.5, b = 0.1)`).
  const shapes = ast.observations.map((o) => ({ o, shape: checkObservationShape(o, diagnostics) }));
  const errorUses: ErrorOperand[] = [];
  for (const { shape } of shapes) {
    for (const op of shape.operands) {
      if (op.inline) {
        if (declare(op.name, 'errorParameter', op.range)) errorParameters.push({ name: op.name, range: op.range, initial: op.inline.initial, fixed: op.inline.fixed });
        uses.set(op.name, (uses.get(op.name) ?? 0) + 1);
      } else {
        errorUses.push(op);
      }
    }
  }

  // ---- constants ----
  const constants = evaluateConstants(ast.constants, diagnostics);
  // A constant used by another constant is used (it reaches the model through it, or the other one is reported).
  for (const c of ast.constants) {
    for (const n of namesIn(c.value)) {
      if (n.name === c.name || symbols.get(n.name)?.kind !== 'constant') continue;
      uses.set(n.name, (uses.get(n.name) ?? 0) + 1);
    }
  }
  const constantLists = new Map<string, readonly number[]>();
  for (const [name, v] of constants) if (typeof v !== 'number') constantLists.set(name, v);

  // ---- expressions ----
  const references: Reference[] = [];
  const correlations = checkCorrelations(ast.correlations, parameters, diagnostics, references);
  /** Direct symbol uses of each definition, for ordering and reachability. */
  const usesOf = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  const unread = ast.unreadNames ?? new Set<string>();
  const checker = new ExprChecker({
    symbols, constantLists, diagnostics, references, unread,
    onUse: (sym, range) => {
      uses.set(sym.name, (uses.get(sym.name) ?? 0) + 1);
      current?.add(sym.name);
      if (sym.kind === 'errorParameter') {
        diagnostics.push(diagnostic('E231', range, `'${sym.name}' is an error parameter: it can only appear in an observation's sd = ...`));
      }
    },
  });
  const checkCollecting = (e: Expr, expected: Parameters<ExprChecker['check']>[1]): Set<string> => {
    const previous = current;
    current = new Set();
    checker.check(e, expected);
    const got = current;
    current = previous;
    return got;
  };
  for (const op of errorUses) {
    const sym = symbols.get(op.name);
    if (!sym && unread.has(op.name)) continue;
    if (!sym) {
      diagnostics.push(diagnostic('E201', op.range, `unknown error parameter '${op.name}': declare it in an error block, or write it inline as ${op.name} = 0.1`));
    } else if (sym.kind !== 'errorParameter') {
      diagnostics.push(diagnostic('E217', op.range, `'${op.name}' is a ${describeKind(sym.kind)}; an error model takes error parameters (declare them in an error block)`));
    } else {
      uses.set(op.name, (uses.get(op.name) ?? 0) + 1);
      references.push({ name: op.name, kind: 'errorParameter', range: op.range });
    }
  }

  for (const d of definitions) usesOf.set(d.name, checkCollecting(d.value, 'number'));

  // ---- definition order and reachability ----
  const defNames = new Set(definitions.map((d) => d.name));
  const ordered = orderDefinitions(definitions, usesOf, defNames, diagnostics);
  /** The symbols an expression reaches through definitions. */
  const reachMemo = new Map<string, Set<string>>();
  const reach = (direct: Iterable<string>): Set<string> => {
    const out = new Set<string>();
    const visit = (name: string): void => {
      if (out.has(name)) return;
      out.add(name);
      if (defNames.has(name)) {
        const memo = reachMemo.get(name);
        if (memo) for (const m of memo) out.add(m);
        else for (const u of usesOf.get(name) ?? []) visit(u);
      }
    };
    for (const n of direct) visit(n);
    return out;
  };
  for (const d of ordered) reachMemo.set(d.name, reach(usesOf.get(d.name) ?? []));

  /** Reports the first forbidden kind `e` reaches, through which definition if indirect. */
  const forbid = (direct: Set<string>, kinds: readonly SymbolKind[], range: Range, code: 'E224' | 'E225', what: string, perSubject = true): void => {
    for (const name of direct) {
      const sym = symbols.get(name);
      if (!sym) continue;
      if (kinds.includes(sym.kind)) {
        diagnostics.push(diagnostic(code, range, `${what} cannot depend on the ${describeKind(sym.kind)} '${name}'`));
        return;
      }
      if (sym.kind === 'definition') {
        const bad = [...(reachMemo.get(name) ?? [])].find((n) => kinds.includes(symbols.get(n)?.kind ?? 'constant'));
        if (bad) {
          diagnostics.push(diagnostic(code, range, `${what} cannot depend on the ${describeKind(symbols.get(bad)!.kind)} '${bad}' (through '${name}')`));
          return;
        }
      }
    }
    if (perSubject) forbidOccasionVarying(direct, range, what);
  };
  /**
   * What is evaluated once per subject (initial states, dosing) cannot read a parameter that changes between
   * occasions: it would silently take one occasion's value.
   */
  const varying = new Set(parameters.filter((p) => p.iov).map((p) => p.name));
  const forbidOccasionVarying = (direct: Set<string>, range: Range, what: string): void => {
    if (varying.size === 0) return;
    for (const name of direct) {
      const via = varying.has(name) ? undefined : [...(reachMemo.get(name) ?? [])].find((n) => varying.has(n));
      if (!varying.has(name) && via === undefined) continue;
      const p = via ?? name;
      diagnostics.push(diagnostic('E235', range, `${what} is evaluated once per subject and cannot depend on '${p}'${via ? ` (through '${name}')` : ''}, which varies between occasions (iov); drop iov(...) from '${p}' or use it only in the ode and observe blocks`));
      return;
    }
  };

  // States: initial conditions and equations.
  const derivatives = new Map<string, { value: Expr; range: Range }>();
  for (const stmt of ast.ode) {
    if (stmt.kind !== 'derivative' || !stmt.state) continue;
    const sym = symbols.get(stmt.state);
    if ((!sym || sym.kind !== 'state') && (ast.states.some((s) => s.name === stmt.state) || (!sym && unread.has(stmt.state)))) {
      // Written in the states block but its declaration was rejected (reported there), or maybe declared where the
      // file could not be read: not a second mistake.
      checkCollecting(stmt.value, 'number');
      continue;
    }
    if (!sym || sym.kind !== 'state') {
      const stateNames = ast.states.map((s) => s.name);
      diagnostics.push(diagnostic('E208', stmt.stateRange, sym ? `'${stmt.state}' is a ${describeKind(sym.kind)}, not a state` : `'${stmt.state}' is not a state${stateNames.length ? `: the states are ${stateNames.join(', ')}` : '; declare it in a states block'}`));
      checkCollecting(stmt.value, 'number');
      continue;
    }
    references.push({ name: stmt.state, kind: 'state', range: stmt.stateRange });
    const prior = derivatives.get(stmt.state);
    if (prior) {
      diagnostics.push(diagnostic('E209', stmt.stateRange, `'${stmt.state}' already has an equation`, { related: [{ range: prior.range, message: 'first equation here' }] }));
    } else {
      derivatives.set(stmt.state, { value: stmt.value, range: stmt.stateRange });
    }
    checkCollecting(stmt.value, 'number');
  }
  const states: CheckedState[] = [];
  for (const s of ast.states) {
    if (!s.name || symbols.get(s.name)?.declRange !== s.nameRange) continue;
    if (s.initial) forbid(checkCollecting(s.initial, 'number'), ['state', 'time'], s.initial.range, 'E224', `the initial condition of '${s.name}'`);
    const eq = derivatives.get(s.name);
    if (!eq) {
      // After a syntax error the equation may be in what could not be read.
      if (ast.recovered) continue;
      diagnostics.push(diagnostic('E207', s.nameRange, `the state '${s.name}' has no equation: add 'd/dt ${s.name} = ...' to the ode block`));
      continue;
    }
    states.push({ name: s.name, range: s.nameRange, derivative: eq.value, ...(s.initial ? { initial: s.initial } : {}) });
  }
  if (ast.states.length === 0 && !ast.recovered) diagnostics.push(diagnostic('E226', ast.nameRange, `the model '${ast.name}' has no states: declare them in a states block and give each an equation in an ode block`));
  if (ast.observations.length === 0 && !ast.recovered) diagnostics.push(diagnostic('E227', ast.nameRange, `the model '${ast.name}' has no observations: add an observe block, e.g. observe { y ~ normal(X, sd = sigma) }`));

  // Covariate effects.
  for (const p of parameters) {
    for (const e of p.effects) forbid(checkCollecting(e, 'number'), ['state', 'time', 'definition'], e.range, 'E225', `a covariate effect on '${p.name}'`, false);
  }

  // Dosing.
  const inputs: CheckedInput[] = [];
  const doses: CheckedDose[] = [];
  const stateIndex = (name: string, range: Range): number => {
    const i = ast.states.findIndex((s) => s.name === name);
    if (i < 0 && (!name || (!symbols.has(name) && unread.has(name)))) return i; // the syntax error is reported
    if (i < 0) {
      const sym = symbols.get(name);
      diagnostics.push(diagnostic('E220', range, sym ? `doses go into states; '${name}' is a ${describeKind(sym.kind)}` : `unknown state '${name}' as a dose target`));
    } else {
      references.push({ name, kind: 'state', range });
    }
    return i;
  };
  const dosingExpr = (e: Expr | undefined, what: string): void => {
    if (e) forbid(checkCollecting(e, 'number'), ['state', 'time'], e.range, 'E225', what);
  };
  /** `at [0, 24]`, `at t2`, or `at dose_times` naming a constant list: one time per dose. */
  const doseTimes = (e: Expr): readonly Expr[] => {
    if (e.kind === 'list') return e.items;
    const list = e.kind === 'name' ? constantLists.get(e.name) : undefined;
    if (!list) return [e];
    checker.check(e, 'list');
    return list.map((value) => ({ kind: 'number', value, text: String(value), range: e.range }));
  };
  const inputNames = new Set<string>();
  for (const d of ast.dosing) {
    if (d.kind === 'input') {
      const shape = checkDosingModifiers(d.modifiers, inputWords, diagnostics);
      if (inputNames.has(d.name)) diagnostics.push(diagnostic('E200', d.nameRange, `the input '${d.name}' is declared twice`));
      inputNames.add(d.name);
      const target = stateIndex(d.target, d.targetRange);
      dosingExpr(shape.lag, 'a lag time');
      dosingExpr(shape.bioavailability, 'a bioavailability');
      dosingExpr(shape.duration, 'an infusion duration');
      dosingExpr(shape.rate, 'an infusion rate');
      if (target >= 0) {
        inputs.push({
          name: d.name, range: d.nameRange, target: d.target, cmt: shape.cmt ?? target + 1, infusion: shape.infusion || Boolean(shape.duration || shape.rate),
          ...(shape.lag ? { lag: shape.lag } : {}), ...(shape.bioavailability ? { bioavailability: shape.bioavailability } : {}),
          ...(shape.duration ? { duration: shape.duration } : {}), ...(shape.rate ? { rate: shape.rate } : {}),
        });
      }
    } else {
      const shape = checkDosingModifiers(d.modifiers, ['duration'], diagnostics);
      const target = stateIndex(d.target, d.targetRange);
      dosingExpr(d.amount, 'a dose amount');
      const times = doseTimes(d.times);
      for (const t of times) dosingExpr(t, 'a dose time');
      dosingExpr(shape.duration, 'an infusion duration');
      if (target >= 0) doses.push({ range: d.range, amount: d.amount, target: d.target, times, ...(shape.duration ? { duration: shape.duration } : {}) });
    }
  }
  checkInputCmts(inputs, diagnostics);

  // Observations.
  const observations: CheckedObservation[] = [];
  const dvids = new Map<number, string>();
  shapes.forEach(({ o, shape }, i) => {
    if (shape.prediction) checkCollecting(shape.prediction, 'number');
    const dvid = shape.dvid ?? i + 1;
    const other = dvids.get(dvid);
    if (other) diagnostics.push(diagnostic('E211', o.nameRange, `'${o.name}' and '${other}' both read the rows with DVID ${dvid}; give one dvid(n)`));
    dvids.set(dvid, o.name);
    if (observations.some((x) => x.name === o.name)) diagnostics.push(diagnostic('E200', o.nameRange, `the output '${o.name}' is observed twice`));
    if (shape.prediction && shape.errorModel) {
      observations.push({
        name: o.name, range: o.nameRange, dvid, prediction: shape.prediction, errorModel: shape.errorModel,
        ...(shape.dataTransform ? { dataTransform: shape.dataTransform } : {}), ...(shape.censoring ? { censoring: shape.censoring } : {}),
      });
    }
  });

  // ---- conditions that depend on the trajectory are not breakpoints ----
  const exprsWithConditions = [...ast.ode.map((s) => s.value), ...observations.map((o) => o.prediction)];
  for (const root of exprsWithConditions) {
    forEachExpr(root, (x) => {
      const conditions = x.kind === 'piecewise' ? x.cases.map((c) => c.condition) : x.kind === 'if' ? [x.condition] : [];
      for (const c of conditions) {
        const reached = reach(namesIn(c).map((n) => n.name));
        const state = [...reached].find((n) => symbols.get(n)?.kind === 'state');
        if (state) {
          diagnostics.push(diagnostic('W303', c.range, `this condition depends on the state '${state}', so the solver cannot stop exactly where it changes; prefer a smooth expression`));
        }
      }
    });
  }

  // ---- unused names ----
  // Only for a model without errors: with a syntax error the use may be in what could not be read, and a name used
  // only in a rejected expression (a misspelt call, a wrong modifier) is not unused, just not yet used correctly.
  const quiet = ast.recovered === true || hasErrors(diagnostics);
  const warnUnused = (name: string, range: Range, code: 'W300' | 'W301' | 'W302' | 'W304' | 'W305', what: string): void => {
    if (name && !uses.has(name) && !quiet) diagnostics.push(diagnostic(code, range, `${what} '${name}' is never used`));
  };
  for (const p of parameters) warnUnused(p.name, p.range, 'W300', 'the parameter');
  // The occasion column is read by the parameters with iov(...), not by name.
  const readByOccasions = (c: CheckedCovariate): boolean => c.occasions !== undefined && parameters.some((p) => p.iov);
  for (const c of covariates) if (!readByOccasions(c)) warnUnused(c.name, c.range, 'W301', 'the covariate');
  for (const d of definitions) if (symbols.get(d.name)?.declRange === d.nameRange) warnUnused(d.name, d.nameRange, 'W302', 'the definition');
  for (const c of ast.constants) if (symbols.get(c.name)?.declRange === c.nameRange) warnUnused(c.name, c.nameRange, 'W304', 'the constant');
  for (const e of errorParameters) warnUnused(e.name, e.range, 'W305', 'the error parameter');

  const model: CheckedModel = {
    ast, name: ast.name, symbols, parameters, correlations, errorParameters, covariates, constants, states, definitions: ordered, inputs, doses, observations, references,
  };
  return { model, diagnostics };
}

/**
 * Orders definitions so each comes after those it uses (Kahn's algorithm, ties in source order). Definitions
 * on a cycle are reported once per cycle, naming it, and appended at the end so later passes still see them.
 */
function orderDefinitions(definitions: readonly DefinitionStmt[], usesOf: ReadonlyMap<string, Set<string>>, defNames: ReadonlySet<string>, diagnostics: Diagnostic[]): DefinitionStmt[] {
  const unique = definitions.filter((d, i) => definitions.findIndex((x) => x.name === d.name) === i);
  const deps = new Map(unique.map((d) => [d.name, [...(usesOf.get(d.name) ?? [])].filter((n) => defNames.has(n) && n !== d.name)]));
  const done = new Set<string>();
  const order: DefinitionStmt[] = [];
  for (let progress = true; progress; ) {
    progress = false;
    for (const d of unique) {
      if (done.has(d.name)) continue;
      if (deps.get(d.name)!.every((n) => done.has(n))) {
        done.add(d.name);
        order.push(d);
        progress = true;
      }
    }
  }
  const reported = new Set<string>();
  for (const d of unique) {
    if (usesOf.get(d.name)?.has(d.name) && !reported.has(d.name)) {
      diagnostics.push(diagnostic('E206', d.nameRange, `'${d.name}' is defined in terms of itself`));
      reported.add(d.name);
    }
  }
  for (const d of unique) {
    if (done.has(d.name) || reported.has(d.name)) continue;
    const cycle = findCycle(d.name, deps, done);
    if (!cycle) continue;
    for (const n of cycle) reported.add(n);
    diagnostics.push(diagnostic('E206', d.nameRange, `the definitions ${[...cycle, cycle[0]].join(' → ')} form a cycle`));
  }
  for (const d of unique) if (!done.has(d.name)) order.push(d);
  return order;
}

/** A cycle through `start` among the unfinished definitions, by depth-first search. */
function findCycle(start: string, deps: ReadonlyMap<string, string[]>, done: ReadonlySet<string>): string[] | undefined {
  const path: string[] = [];
  const onPath = new Set<string>();
  const visited = new Set<string>();
  const dfs = (n: string): string[] | undefined => {
    if (onPath.has(n)) return path.slice(path.indexOf(n));
    if (visited.has(n) || done.has(n)) return undefined;
    visited.add(n);
    onPath.add(n);
    path.push(n);
    for (const m of deps.get(n) ?? []) {
      const c = dfs(m);
      if (c) return c;
    }
    path.pop();
    onPath.delete(n);
    return undefined;
  };
  return dfs(start);
}

/**
 * Dose rows find their input by CMT, so two inputs with one CMT would leave the second unreachable (its rows go to
 * the first). Every input defaults to its target's position, so two inputs into one state clash unless one says cmt(n).
 */
function checkInputCmts(inputs: readonly CheckedInput[], diagnostics: Diagnostic[]): void {
  const used = new Set(inputs.map((i) => i.cmt));
  const byCmt = new Map<number, CheckedInput>();
  for (const input of inputs) {
    const first = byCmt.get(input.cmt);
    if (!first) {
      byCmt.set(input.cmt, input);
      continue;
    }
    let free = 1;
    while (used.has(free)) free++;
    used.add(free);
    diagnostics.push(diagnostic('E234', input.range,
      `the inputs '${first.name}' and '${input.name}' both take the dose rows with CMT ${input.cmt} (an input's CMT is its target's position unless cmt(n) gives one); give '${input.name}' a CMT of its own, e.g. cmt(${free})`,
      { related: [{ range: first.range, message: `'${first.name}' takes CMT ${input.cmt}` }] }));
  }
}
