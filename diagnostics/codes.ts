/**
 * The catalogue of diagnostic codes. Codes are stable: tests, docs and editor code actions refer to them.
 * E1xx syntax, E2xx meaning, W3xx warnings, E4xx limits of the back ends.
 */
import type { Severity } from './diagnostic.js';

interface CatalogueEntry {
  readonly severity: Severity;
  readonly title: string;
}

export const diagnosticCatalogue = {
  E100: { severity: 'error', title: 'unexpected character' },
  E101: { severity: 'error', title: 'syntax error' },
  E102: { severity: 'error', title: 'number out of range' },
  E200: { severity: 'error', title: 'name declared twice' },
  E201: { severity: 'error', title: 'unknown name' },
  E202: { severity: 'error', title: 'reserved name' },
  E203: { severity: 'error', title: 'unknown function' },
  E204: { severity: 'error', title: 'wrong number of arguments' },
  E205: { severity: 'error', title: 'invalid argument' },
  E206: { severity: 'error', title: 'definitions form a cycle' },
  E207: { severity: 'error', title: 'state without an equation' },
  E208: { severity: 'error', title: 'derivative of something that is not a state' },
  E209: { severity: 'error', title: 'state has two equations' },
  E210: { severity: 'error', title: 'unknown modifier' },
  E211: { severity: 'error', title: 'invalid modifier' },
  E212: { severity: 'error', title: 'random effect on a fixed parameter' },
  E213: { severity: 'error', title: 'invalid bounds' },
  E214: { severity: 'error', title: 'initial value outside the transform domain' },
  E215: { severity: 'error', title: 'invalid variance' },
  E216: { severity: 'error', title: 'unknown distribution' },
  E217: { severity: 'error', title: 'incomplete observation model' },
  E218: { severity: 'error', title: 'unknown error model' },
  E219: { severity: 'error', title: 'unknown data transform' },
  E220: { severity: 'error', title: 'dose target is not a state' },
  E221: { severity: 'error', title: 'list where a number is expected' },
  E222: { severity: 'error', title: 'invalid sum' },
  E223: { severity: 'error', title: 'constant is not constant' },
  E224: { severity: 'error', title: 'initial condition depends on the trajectory' },
  E225: { severity: 'error', title: 'dosing depends on the trajectory' },
  E226: { severity: 'error', title: 'model has no states' },
  E227: { severity: 'error', title: 'model has no observations' },
  E228: { severity: 'error', title: 'condition where a number is expected' },
  E229: { severity: 'error', title: 'number where a condition is expected' },
  E230: { severity: 'error', title: 'invalid neural term' },
  E231: { severity: 'error', title: 'error parameter outside an error model' },
  E232: { severity: 'error', title: 'invalid censoring' },
  E233: { severity: 'error', title: 'invalid correlation' },
  E234: { severity: 'error', title: 'two inputs with one CMT' },
  E235: { severity: 'error', title: 'invalid inter-occasion variability' },
  W300: { severity: 'warning', title: 'unused parameter' },
  W301: { severity: 'warning', title: 'unused covariate' },
  W302: { severity: 'warning', title: 'unused definition' },
  W303: { severity: 'warning', title: 'discontinuity that depends on the state' },
  W304: { severity: 'warning', title: 'unused constant' },
  W305: { severity: 'warning', title: 'unused error parameter' },
  E400: { severity: 'error', title: 'value not representable in f32' },
  W401: { severity: 'warning', title: 'model too large for the GPU back end' },
} as const satisfies Record<string, CatalogueEntry>;

export type DiagnosticCode = keyof typeof diagnosticCatalogue;
