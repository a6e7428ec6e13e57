/**
 * Parameters to and from plain JSON, for the fitted-encoder file and checkpoints. Values are written as JSON
 * numbers: JavaScript prints the shortest decimal that reads back to the same double, so a round trip is exact.
 * The architecture is not stored here: the caller saves the layers' `config` objects beside this and rebuilds
 * the module from them before loading.
 */
import type { Module } from './module.js';

/** The saved parameters of a module. */
export interface ParameterState {
  readonly format: 'nlmc-nn-parameters/1';
  /** Dotted parameter name → shape and row-major values. */
  readonly parameters: Record<string, { readonly shape: readonly number[]; readonly values: readonly number[] }>;
}

/** A JSON-ready copy of every parameter of `module`. Throws on a non-finite value (JSON cannot hold it). */
export function saveParameters(module: Module): ParameterState {
  const parameters: Record<string, { shape: number[]; values: number[] }> = {};
  for (const [name, p] of module.namedParameters()) {
    const values = Array.from(p.data);
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`saveParameters: ${name}[${bad}] is ${values[bad]}; only finite values can be saved`);
    parameters[name] = { shape: p.shape.slice(), values };
  }
  return { format: 'nlmc-nn-parameters/1', parameters };
}

/**
 * Copies saved values into `module`'s parameters, in place (optimizers holding them stay valid). The names and
 * shapes must match exactly; every mismatch is listed in one error.
 */
export function loadParameters(module: Module, state: ParameterState): void {
  if (state?.format !== 'nlmc-nn-parameters/1') throw new Error(`loadParameters: expected format 'nlmc-nn-parameters/1', found ${JSON.stringify(state?.format)}`);
  const problems: string[] = [];
  const own = module.namedParameters();
  const known = new Set(own.map(([n]) => n));
  for (const name of Object.keys(state.parameters)) if (!known.has(name)) problems.push(`unexpected parameter '${name}'`);
  for (const [name, p] of own) {
    const saved = state.parameters[name];
    if (saved === undefined) {
      problems.push(`missing parameter '${name}'`);
      continue;
    }
    if (saved.shape.length !== p.shape.length || saved.shape.some((d, k) => d !== p.shape[k])) {
      problems.push(`'${name}' has shape [${saved.shape.join(', ')}] in the file, [${p.shape.join(', ')}] in the model`);
    } else if (saved.values.length !== p.size || saved.values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      problems.push(`'${name}' needs ${p.size} finite numbers`);
    }
  }
  if (problems.length > 0) throw new Error(`loadParameters: the saved parameters do not fit this model (was it built with the same config?):\n  ${problems.join('\n  ')}`);
  for (const [name, p] of own) p.data.set(state.parameters[name]!.values);
}
