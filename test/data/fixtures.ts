/** Shared model interfaces for the data-reader tests. */
import type { DataRequirements } from '../../runtime/data/index.js';

/** Theophylline: one covariate, one output, one oral input with CMT 1 (as examples/theophylline). */
export const theophylline: DataRequirements = {
  covariates: [{ name: 'WT', categorical: false }],
  outputs: [{ name: 'conc', dvid: 1 }],
  inputs: [{ name: 'oral', cmt: 1, infusion: false, modelRate: false, modelDuration: false, observed: false }],
};

/**
 * A richer interface: a continuous and a categorical covariate, two outputs (conc may be left-censored), an
 * oral bolus input (CMT 1) and an intravenous infusion (CMT 2) whose duration the model can define.
 */
export const rich: DataRequirements = {
  covariates: [{ name: 'WT', categorical: false }, { name: 'SEX', categorical: true }],
  outputs: [{ name: 'conc', dvid: 1, censoring: 'left' }, { name: 'effect', dvid: 2 }],
  inputs: [
    { name: 'oral', cmt: 1, infusion: false, modelRate: false, modelDuration: false },
    { name: 'iv', cmt: 2, infusion: true, modelRate: false, modelDuration: true },
  ],
};

/** Lines → CSV text (one line per argument, a final line break). */
export const csv = (...lines: string[]): string => lines.join('\n') + '\n';
