/** Data in: NONMEM/Monolix-style CSV files read into a padded, batched `Dataset` for a model. */
export { readDataset, type ReadDatasetOptions, type ReadDatasetResult } from './read-dataset.js';
export { formatIssue, hasDataErrors, dataIssueCatalogue, type DataIssue, type DataIssueCode, type DataIssueSeverity } from './issues.js';
export type { Dataset } from './dataset.js';
export { formatSummary, type DataSummary } from './summary.js';
export { requirementsFromIr, type DataRequirements, type CovariateRequirement, type OutputRequirement, type InputRequirement } from './requirements.js';
export { ROLES, ROLE_ALIASES, type Role } from './columns.js';
export { MISSING_SPELLINGS, isMissing } from './missing-values.js';
