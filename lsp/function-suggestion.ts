/**
 * "Did you mean" for an unknown function that is too far from every built-in for the compiler's edit-distance guess
 * (diagnostics/suggest.ts: at most two edits): a digit spelled out (`logten` → `log10`) or the name another language
 * gives the same function (`ln` → `log`, `pnorm` → `normcdf`, `inv_logit` → `expit`). Only exact equivalents are
 * listed, so the quick fix never changes what the model means.
 */
import { callableNames } from '../stdlib/builtins.js';

const equivalents: ReadonlyMap<string, string> = new Map([
  ['ln', 'log'], ['loge', 'log'], ['lg', 'log10'], ['exponential', 'exp'], ['squareroot', 'sqrt'], ['fabs', 'abs'], ['absolute', 'abs'],
  ['sgn', 'sign'], ['signum', 'sign'], ['power', 'pow'], ['minimum', 'min'], ['maximum', 'max'],
  ['invlogit', 'expit'], ['ilogit', 'expit'], ['logistic', 'expit'], ['sigmoid', 'expit'], ['plogis', 'expit'], ['qlogis', 'logit'],
  ['pnorm', 'normcdf'], ['phi', 'normcdf'], ['dnorm', 'normpdf'], ['log1pexp', 'softplus'],
]);

const digits: readonly [RegExp, string][] = [
  [/zero/g, '0'], [/one/g, '1'], [/two/g, '2'], [/three/g, '3'], [/four/g, '4'], [/five/g, '5'], [/six/g, '6'], [/seven/g, '7'], [/eight/g, '8'], [/nine/g, '9'], [/ten/g, '10'],
];

/** The built-in `name` stands for, when it is a known equivalent or a built-in with its digits spelled out. */
export function equivalentFunction(name: string): string | undefined {
  const known = new Set(callableNames());
  const key = name.toLowerCase().replace(/_/g, '');
  const alias = equivalents.get(key);
  if (alias && known.has(alias)) return alias;
  let spelled = key;
  for (const [word, digit] of digits) spelled = spelled.replace(word, digit);
  return spelled !== key && known.has(spelled) ? spelled : undefined;
}
