/**
 * Which data column holds what. NONMEM and Monolix files name their columns by convention (ID, TIME, DV, …), in
 * any case, with a few aliases (Monolix's YTYPE is NONMEM's DVID); covariate columns carry the model's covariate
 * names. `--map name=COLUMN` overrides either when a file uses its own names (`--map WT=BW`, `--map TIME=TAD`).
 *
 * The result is a slot table: slot k (the roles below in order, then the model's covariates in declaration
 * order) reads column `slotColumn[k]`, or nothing (-1). Rows are then read by slot with no name lookups.
 */
import type { IssueList } from './issues.js';
import type { DataRequirements } from './requirements.js';

export const ROLES = ['ID', 'TIME', 'DV', 'MDV', 'EVID', 'AMT', 'CMT', 'RATE', 'II', 'ADDL', 'SS', 'DVID', 'CENS', 'LIMIT'] as const;
export type Role = (typeof ROLES)[number];

/** Slot numbers of the roles (covariate c is slot FIRST_COVARIATE_SLOT + c). */
export const Slot = {
  ID: 0, TIME: 1, DV: 2, MDV: 3, EVID: 4, AMT: 5, CMT: 6, RATE: 7, II: 8, ADDL: 9, SS: 10, DVID: 11, CENS: 12, LIMIT: 13,
} as const satisfies Record<Role, number>;
export const FIRST_COVARIATE_SLOT = ROLES.length;

/** Header names (upper case) accepted for each role. */
export const ROLE_ALIASES: Readonly<Record<Role, readonly string[]>> = {
  ID: ['ID'], TIME: ['TIME'], DV: ['DV'], MDV: ['MDV'], EVID: ['EVID'], AMT: ['AMT'], CMT: ['CMT'], RATE: ['RATE'],
  II: ['II'], ADDL: ['ADDL'], SS: ['SS'], DVID: ['DVID', 'YTYPE'], CENS: ['CENS'], LIMIT: ['LIMIT'],
};

/** Header names that also hold the occasion column, whatever the model calls it (NONMEM's OCC, Monolix's OCCASION). */
export const OCCASION_ALIASES: readonly string[] = ['OCC', 'OCCASION'];

/** Without these no row can be placed (ID, TIME) or observed (DV). */
const REQUIRED: readonly Role[] = ['ID', 'TIME', 'DV'];

export interface ColumnMap {
  /** The header as read (trimmed; a leading `#`, NONMEM's comment mark for the header line, removed). */
  readonly header: readonly string[];
  /** 0-based column of each slot, or -1. */
  readonly slotColumn: Int32Array;
  /** Role names, then covariate names: what each slot is called in messages. */
  readonly slotNames: readonly string[];
  /** Header names of the columns no slot reads (reported in the summary: nothing is dropped silently). */
  readonly ignoredColumns: readonly string[];
}

/** Display name of column `index` (0-based) for messages. */
export function columnLabel(header: readonly string[], index: number): string {
  const name = header[index];
  return name === undefined || name === '' ? `column ${index + 1}` : name;
}

/** Maps the header (on file row `row`) to slots, reporting what is missing or ambiguous. */
export function mapColumns(
  rawHeader: readonly string[], row: number, requirements: DataRequirements, overrides: Readonly<Record<string, string>>, issues: IssueList,
): ColumnMap {
  const header = rawHeader.map((h, i) => (i === 0 ? h.trim().replace(/^#\s*/, '') : h.trim()));
  const upper = header.map((h) => h.toUpperCase());
  const covariates = requirements.covariates.map((c) => c.name);
  const slotNames = [...ROLES, ...covariates];
  const slotColumn = new Int32Array(slotNames.length).fill(-1);
  const overridden = new Uint8Array(slotNames.length);
  const columnList = header.map((_, i) => columnLabel(header, i)).join(', ');

  // Columns for a header name: those spelled exactly so, else those equal in any case (callers report several).
  const findColumn = (name: string): number[] => {
    const exact = header.flatMap((h, i) => (h === name ? [i] : []));
    return exact.length > 0 ? exact : upper.flatMap((h, i) => (h === name.toUpperCase() ? [i] : []));
  };

  for (const [name, column] of Object.entries(overrides)) {
    const slot = slotForMapKey(name, covariates);
    if (slot === undefined) {
      issues.add('D105', row, `--map ${name}=${column}: ${name} is neither a covariate of the model (${covariates.join(', ') || 'it has none'}) nor a standard column (${ROLES.join(', ')})`);
      continue;
    }
    const found = findColumn(column);
    if (found.length === 0) {
      issues.add('D105', row, `--map ${name}=${column}: there is no column ${column} (columns: ${columnList})`);
      continue;
    }
    if (found.length > 1) {
      issues.add('D103', row, `--map ${name}=${column}: columns ${found.map((i) => i + 1).join(' and ')} are all called ${column}`);
    }
    slotColumn[slot] = found[0]!;
    overridden[slot] = 1;
  }

  ROLES.forEach((role, slot) => {
    if (overridden[slot]) return;
    const found = upper.flatMap((h, i) => (ROLE_ALIASES[role].includes(h) ? [i] : []));
    if (found.length > 1) {
      issues.add('D103', row, `columns ${found.map((i) => `${i + 1} (${header[i]})`).join(' and ')} ${found.length === 2 ? 'both' : 'all'} give ${role}; remove one or choose with --map ${role}=COLUMN`);
    }
    if (found.length > 0) slotColumn[slot] = found[0]!;
  });

  if (header.length === 1 && /\s/.test(header[0]!)) {
    // One column whose name has spaces: a space-separated file. Every column would be reported missing.
    issues.add('D102', row, `the header is one column, "${header[0]}": columns seem to be separated by spaces, but only commas, semicolons and tabs separate columns`);
    return { header, slotColumn: slotColumn.fill(-1), slotNames, ignoredColumns: [] };
  }
  for (const role of REQUIRED) {
    if (slotColumn[ROLES.indexOf(role)] !== -1) continue;
    issues.add('D102', row, `no ${role} column: every data file needs ID, TIME and DV (columns: ${columnList}); if it has another name, use --map ${role}=COLUMN`);
  }

  covariates.forEach((name, c) => {
    const slot = FIRST_COVARIATE_SLOT + c;
    if (overridden[slot]) return;
    const spellings = requirements.covariates[c]!.occasions !== undefined ? [name, ...OCCASION_ALIASES] : [name];
    const found = spellings.map(findColumn).find((f) => f.length > 0) ?? [];
    if (found.length > 1) {
      issues.add('D103', row, `columns ${found.map((i) => `${i + 1} (${header[i]})`).join(' and ')} could ${found.length === 2 ? 'both' : 'all'} be covariate ${name}; choose one with --map ${name}=COLUMN`);
    }
    if (found.length > 0) slotColumn[slot] = found[0]!;
    else issues.add('D106', row, `the model uses covariate ${name} but the data has no ${name} column (columns: ${columnList}); name the column that holds it with --map ${name}=COLUMN`);
  });

  if (slotColumn[Slot.DVID] === -1 && requirements.outputs.length > 1) {
    const outputs = requirements.outputs.map((o) => `${o.name} DVID ${o.dvid}`).join(', ');
    issues.add('D102', row, `no DVID (or YTYPE) column: the model has ${requirements.outputs.length} outputs (${outputs}), so each observation must say which it is`);
  }

  const used = new Set(slotColumn);
  const ignoredColumns = header.flatMap((_, i) => (used.has(i) ? [] : [columnLabel(header, i)]));
  return { header, slotColumn, slotNames, ignoredColumns };
}

/** A `--map` key is a covariate (exact spelling, then any case) or a role (any case, aliases allowed). */
function slotForMapKey(name: string, covariates: readonly string[]): number | undefined {
  const exact = covariates.indexOf(name);
  if (exact >= 0) return FIRST_COVARIATE_SLOT + exact;
  const anyCase = covariates.flatMap((c, i) => (c.toUpperCase() === name.toUpperCase() ? [i] : []));
  if (anyCase.length === 1) return FIRST_COVARIATE_SLOT + anyCase[0]!;
  const role = ROLES.findIndex((r) => ROLE_ALIASES[r].includes(name.toUpperCase()));
  return role >= 0 ? role : undefined;
}
