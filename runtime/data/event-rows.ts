/**
 * What one data row is — observation, dose, missing observation, other — and the checks that need only that row
 * and the model's interface. NONMEM's conventions, which Monolix files follow too:
 *
 * - EVID 0 observation, 1 dose, 2 other (a row that only carries covariate values or asks for a prediction).
 *   Without an EVID column (or cell): AMT > 0 makes a dose, else MDV = 1 an other row, else an observation.
 * - EVID 3 resets every state to the model's initial value at the row's time; EVID 4 resets and then doses (the
 *   row is read as a dose row). AMT on an EVID 3 row is ignored with a warning (EVID 4 doses). A reset after a
 *   dose or another reset at the same time, in a later row, is an error: the engine applies the events that replace
 *   the state first at one time (stdlib/dose-events.ts), so that row order could not be honoured.
 * - MDV = 1 on an EVID 0 row makes it an other row. An observation row whose DV is missing is counted as
 *   "missing DV" (a warning when MDV = 0 said it was an observation).
 * - CMT on observation rows is ignored (outputs are chosen by DVID/YTYPE, not by compartment); on dose rows it
 *   selects the model's input with that `cmt`. Without a CMT column, a model with one input takes every dose.
 * - RATE: 0 bolus (or the input's own duration/rate), > 0 zero-order at that rate (the input must be declared
 *   `infusion`), -1 the model defines the rate, -2 the model defines the duration (the input must declare
 *   `rate(...)` resp. `duration(...)`). The value is kept as given: the engine reads -1 and -2 as those marks.
 * - SS on a dose row: 1 the system is reset to the periodic steady state of this dose repeated every II (and the
 *   dose is the one given at the row's time), 2 that steady state is added to the current state. SS needs II > 0
 *   (a steady-state constant infusion, SS with II = 0, is not supported); SS on any other row, or another value
 *   than 0, 1, 2, is an error. SS = 1, which resets, must come first among the doses and resets at its time.
 * - DV on a dose row is ignored (as NONMEM does) with a warning unless it is 0, a common placeholder.
 * - CENS: 1 the DV is an upper bound (below the limit of quantification), -1 a lower bound; the output must
 *   declare the matching `censored(...)`. LIMIT (the other bound of the interval) is kept when present.
 */
import { Slot, type ColumnMap } from './columns.js';
import { cleanCell } from './csv-records.js';
import type { IssueList } from './issues.js';
import type { DataRequirements } from './requirements.js';
import { RowKind, type RowTable } from './row-table.js';

/** More additional doses than this is a typo, not a regimen (daily for 270 years), and would exhaust memory. */
export const MAX_ADDL = 100_000;

export class RowClassifier {
  constructor(
    private readonly requirements: DataRequirements,
    private readonly columns: ColumnMap,
    private readonly issues: IssueList,
  ) {}

  /**
   * Classifies the row in `values` (one number per slot, NaN when missing or absent; `invalid` has bit k set
   * when slot k's cell was not a number and has been reported) and stores it at `index` of `table`.
   */
  store(values: Float64Array, invalid: number, fields: readonly string[], row: number, table: RowTable, index: number): number {
    const kind = this.classify(values, invalid, fields, row, table, index);
    table.kind[index] = kind;
    if (kind === RowKind.dose || kind === RowKind.reset) this.eventAfterObservation(row, table, index);
    return kind;
  }

  private classify(values: Float64Array, invalid: number, fields: readonly string[], row: number, table: RowTable, index: number): number {
    table.dv[index] = 0;
    table.output[index] = -1;
    table.cens[index] = 0;
    table.limit[index] = NaN;
    table.amt[index] = 0;
    table.input[index] = -1;
    table.rate[index] = 0;
    table.ii[index] = 0;
    table.addl[index] = 0;

    let mdv = values[Slot.MDV]!;
    if (mdv === mdv && mdv !== 0 && mdv !== 1) {
      this.issue('D211', row, Slot.MDV, fields, `MDV must be 0 or 1, found ${this.text(Slot.MDV, fields)}`);
      mdv = NaN;
    }
    const amt = values[Slot.AMT]!;
    let evid = values[Slot.EVID]!;
    if (invalid & (1 << Slot.EVID)) return RowKind.rejected;
    if (evid !== evid) evid = amt > 0 ? 1 : mdv === 1 ? 2 : 0;
    else if (evid !== 0 && evid !== 1 && evid !== 2 && evid !== 3 && evid !== 4) {
      this.issue('D207', row, Slot.EVID, fields, `EVID must be 0 (observation), 1 (dose), 2 (other), 3 (reset) or 4 (reset and dose), found ${this.text(Slot.EVID, fields)}`);
      return RowKind.rejected;
    }
    table.ss[index] = 0;
    table.reset[index] = evid === 3 || evid === 4 ? 1 : 0;
    if (evid !== 1 && evid !== 4) this.noSteadyState(values, invalid, fields, row, evid);
    if (evid === 3 || evid === 4) this.resetOrder(fields, row, table, index, Slot.EVID, `EVID=${evid} resets`);

    if (evid === 2) return RowKind.other;
    if (evid === 3) {
      if (amt === amt && amt !== 0) this.issue('D306', row, Slot.AMT, fields, `AMT=${this.text(Slot.AMT, fields)} on a reset row (EVID=3) is ignored; EVID=4 resets and doses`);
      return RowKind.reset;
    }
    if (evid === 1 || evid === 4) return this.dose(values, invalid, fields, row, table, index, evid);

    if (amt === amt && amt !== 0) {
      this.issue('D306', row, Slot.AMT, fields, `AMT=${this.text(Slot.AMT, fields)} on an observation row (EVID=0) is ignored; doses need EVID=1`);
    }
    if (mdv === 1) return RowKind.other;
    const dv = values[Slot.DV]!;
    if (invalid & (1 << Slot.DV)) return RowKind.rejected;
    if (dv !== dv) {
      if (mdv === 0) this.issue('D304', row, Slot.DV, fields, 'MDV=0 says this row is an observation, but DV is missing; it is counted as a missing observation');
      return RowKind.missingDv;
    }
    table.dv[index] = dv;
    table.output[index] = this.output(values, invalid, fields, row);
    this.censoring(values, fields, row, table, index);
    return RowKind.observation;
  }

  /**
   * A dose or reset row (index) after an observation row that itself follows a dose or reset row at the same time:
   * NONMEM, reading records in order, gives that observation the state between the two, but nlmc gives an
   * observation either the state before every event at its time (its row comes first there) or after all of them
   * (build-dataset.ts, `obsAfterEvent`), so it sees this one too. Only events that move a prediction at that
   * instant count: not an infusion's start, nor a bolus into a state no output reads (a depot).
   */
  private eventAfterObservation(row: number, table: RowTable, index: number): void {
    const what = this.jump(table, index);
    if (!what) return;
    const subject = table.subject[index]!;
    const time = table.time[index]!;
    const sameTime = (r: number): boolean => r >= 0 && table.subject[r] === subject && table.time[r] === time;
    let r = index - 1;
    while (sameTime(r) && table.kind[r] !== RowKind.observation) r--;
    if (!sameTime(r)) return;
    const observation = r;
    for (r--; sameTime(r); r--) {
      if (table.kind[r] !== RowKind.dose && table.kind[r] !== RowKind.reset) continue;
      const earlier = table.kind[r] === RowKind.reset ? 'the reset' : 'the dose';
      this.issues.add('D308', row, `ID ${table.ids[subject]}: ${what} of this row follows the observation of row ${table.row[observation]}, which follows ${earlier} of row ${table.row[r]} at the same time (${time}): that observation gets the state after every event at its time, this one included (NONMEM, reading records in order, would give it the state before this row); put the observation row after this one, or first at its time`);
      return;
    }
  }

  /** What row r does to the state at its own time, as words for a message; undefined when it changes nothing there. */
  private jump(table: RowTable, r: number): string | undefined {
    const kind = table.kind[r];
    if (kind === RowKind.reset) return 'the reset';
    if (kind !== RowKind.dose) return undefined;
    if (table.reset[r]) return 'the reset and dose';
    if (table.ss[r]) return 'the steady-state dose';
    const spec = this.requirements.inputs[table.input[r]!];
    if (!spec?.observed) return undefined;
    const infusion = table.rate[r] !== 0 || spec.modelDuration || spec.modelRate;
    return infusion ? undefined : 'the dose';
  }

  private output(values: Float64Array, invalid: number, fields: readonly string[], row: number): number {
    const outputs = this.requirements.outputs;
    if (this.columns.slotColumn[Slot.DVID] === -1) return outputs.length === 1 ? 0 : -1; // else reported at the header
    if (invalid & (1 << Slot.DVID)) return -1;
    const dvid = values[Slot.DVID]!;
    for (let o = 0; o < outputs.length; o++) if (outputs[o]!.dvid === dvid) return o;
    const known = outputs.map((o) => `${o.name} (DVID ${o.dvid})`).join(', ') || 'none';
    const found = dvid === dvid ? `DVID ${this.text(Slot.DVID, fields)}` : 'a missing DVID';
    this.issue('D210', row, Slot.DVID, fields, `observation with ${found}, which matches no output of the model: ${known}`);
    return -1;
  }

  private censoring(values: Float64Array, fields: readonly string[], row: number, table: RowTable, index: number): void {
    table.limit[index] = values[Slot.LIMIT]!;
    const cens = values[Slot.CENS]!;
    if (cens !== cens || cens === 0) return;
    if (cens !== 1 && cens !== -1) {
      this.issue('D211', row, Slot.CENS, fields, `CENS must be 0, 1 (below a limit) or -1 (above a limit), found ${this.text(Slot.CENS, fields)}`);
      return;
    }
    table.cens[index] = cens;
    const output = this.requirements.outputs[table.output[index]!];
    if (!output) return;
    const declared = output.censoring;
    const side = cens === 1 ? 'left' : 'right';
    if (declared === side || declared === 'interval') return;
    const what = cens === 1 ? 'left-censored (DV is an upper bound)' : 'right-censored (DV is a lower bound)';
    const has = declared ? `declares censored(${declared})` : 'declares no censoring';
    this.issue('D212', row, Slot.CENS, fields, `CENS=${this.text(Slot.CENS, fields)} marks the value ${what}, but output ${output.name} ${has}; add censored(${side}) to it`);
  }

  private dose(values: Float64Array, invalid: number, fields: readonly string[], row: number, table: RowTable, index: number, evid: number): number {
    const dv = values[Slot.DV]!;
    if (dv === dv && dv !== 0) {
      this.issue('D303', row, Slot.DV, fields, `DV ${this.text(Slot.DV, fields)} on a dose row (EVID=${evid}) is ignored; put the observation on its own row with EVID=0`);
    }
    const amt = values[Slot.AMT]!;
    if (amt !== amt) {
      if (!(invalid & (1 << Slot.AMT))) {
        if (this.columns.slotColumn[Slot.AMT] === -1) this.issue('D205', row, Slot.EVID, fields, `dose row (EVID=${evid}), but the data has no AMT column`);
        else this.issue('D205', row, Slot.AMT, fields, `dose row (EVID=${evid}) without an amount`);
      }
    } else if (amt < 0) this.issue('D203', row, Slot.AMT, fields, `AMT must not be negative, found ${this.text(Slot.AMT, fields)}`);
    else if (amt === 0) this.issue('D307', row, Slot.AMT, fields, 'dose of AMT=0 has no effect');
    table.amt[index] = amt === amt ? amt : 0;

    const input = this.input(values, invalid, fields, row);
    table.input[index] = input;

    let ss = values[Slot.SS]!;
    if (ss === ss && ss !== 0 && ss !== 1 && ss !== 2) {
      this.issue('D206', row, Slot.SS, fields, `SS must be 0 (no steady state), 1 (reset to the steady state) or 2 (add the steady state), found ${this.text(Slot.SS, fields)}`);
      ss = 0;
    }
    if (ss !== ss) ss = 0;
    this.rate(values, fields, row, table, index, input);

    let ii = values[Slot.II]!;
    if (ii !== ii) ii = 0;
    else if (ii < 0) {
      this.issue('D211', row, Slot.II, fields, `II (the dosing interval) must not be negative, found ${this.text(Slot.II, fields)}`);
      ii = 0;
    }
    let addl = values[Slot.ADDL]!;
    if (addl !== addl) addl = 0;
    else if (addl < 0 || !Number.isInteger(addl) || addl > MAX_ADDL) {
      this.issue('D211', row, Slot.ADDL, fields, `ADDL (the number of additional doses) must be a whole number from 0 to ${MAX_ADDL}, found ${this.text(Slot.ADDL, fields)}`);
      addl = 0;
    }
    if (addl > 0 && ii === 0 && !(invalid & (1 << Slot.II))) {
      const column = this.columns.slotColumn[Slot.II] === -1 ? 'the data has no II column' : 'II is missing or 0';
      this.issue('D208', row, Slot.ADDL, fields, `ADDL=${this.text(Slot.ADDL, fields)} repeats the dose, but ${column}: set II to the interval between doses`);
      addl = 0;
    }
    const givenAddl = values[Slot.ADDL]!;
    const givenSs = values[Slot.SS]!;
    if (ii > 0 && !(givenSs === givenSs && givenSs !== 0) && !(invalid & (1 << Slot.SS)) && (givenAddl === 0 || (givenAddl !== givenAddl && !(invalid & (1 << Slot.ADDL))))) {
      this.issue('D305', row, Slot.II, fields, `II=${this.text(Slot.II, fields)} without ADDL or SS has no effect; set ADDL to the number of additional doses, or SS=1 for a steady state`);
    }
    if (ss !== 0 && ii === 0 && !(invalid & (1 << Slot.II))) {
      const column = this.columns.slotColumn[Slot.II] === -1 ? 'the data has no II column' : 'II is missing or 0';
      this.issue('D206', row, Slot.SS, fields, `SS=${ss} is the steady state of a dose repeated every II, but ${column}: set II to the dosing interval (a steady-state constant infusion, SS with II=0, is not supported)`);
      ss = 0;
    }
    if (ss === 1 && !table.reset[index]) this.resetOrder(fields, row, table, index, Slot.SS, 'SS=1 resets to the steady state and');
    table.ss[index] = ss;
    table.ii[index] = ii;
    table.addl[index] = addl;
    return RowKind.dose;
  }

  /** SS on a row that gives no dose is an error: it would be ignored. */
  private noSteadyState(values: Float64Array, invalid: number, fields: readonly string[], row: number, evid: number): void {
    const ss = values[Slot.SS]!;
    if (invalid & (1 << Slot.SS) || ss !== ss || ss === 0) return;
    const what = ['an observation row (EVID=0)', '', 'an other row (EVID=2)', 'a reset row (EVID=3)'][evid]!;
    this.issue('D206', row, Slot.SS, fields, `SS=${this.text(Slot.SS, fields)} on ${what}: the steady state belongs on the dose row (EVID=1 or 4) it repeats`);
  }

  /**
   * A row that replaces the state (a reset, SS = 1) after a dose or a reset of the same subject at the same time:
   * the engine applies replacing events first at one time, so the earlier row would not be discarded as its order says.
   */
  private resetOrder(fields: readonly string[], row: number, table: RowTable, index: number, slot: number, what: string): void {
    const subject = table.subject[index]!;
    const time = table.time[index]!;
    for (let r = index - 1; r >= 0 && table.subject[r] === subject && table.time[r] === time; r--) {
      const kind = table.kind[r];
      if (kind !== RowKind.dose && kind !== RowKind.reset) continue;
      const earlier = kind === RowKind.reset ? 'the reset' : 'the dose';
      this.issue('D215', row, slot, fields, `${what} would discard ${earlier} of row ${table.row[r]} at the same time; put this row first at its time (and use SS=2 for a steady state that adds to another)`);
      return;
    }
  }

  private input(values: Float64Array, invalid: number, fields: readonly string[], row: number): number {
    const inputs = this.requirements.inputs;
    const known = (): string => inputs.map((i) => `${i.name} (CMT ${i.cmt})`).join(', ');
    if (inputs.length === 0) {
      this.issue('D204', row, Slot.EVID, fields, 'dose row, but the model takes no doses from the data (declare an `input` in its dosing block)');
      return -1;
    }
    if (invalid & (1 << Slot.CMT)) return -1;
    const cmt = values[Slot.CMT]!;
    if (cmt !== cmt) {
      if (inputs.length === 1) return 0;
      const where = this.columns.slotColumn[Slot.CMT] === -1 ? 'the data has no CMT column' : 'CMT is missing';
      this.issue('D204', row, Slot.CMT, fields, `dose row, but ${where} and the model has ${inputs.length} inputs: ${known()}`);
      return -1;
    }
    for (let i = 0; i < inputs.length; i++) if (inputs[i]!.cmt === cmt) return i;
    this.issue('D204', row, Slot.CMT, fields, `dose into CMT ${this.text(Slot.CMT, fields)}, which matches no input of the model: ${known()}`);
    return -1;
  }

  private rate(values: Float64Array, fields: readonly string[], row: number, table: RowTable, index: number, input: number): void {
    const rate = values[Slot.RATE]!;
    if (rate !== rate || rate === 0) return;
    table.rate[index] = rate;
    const spec = this.requirements.inputs[input];
    const text = this.text(Slot.RATE, fields);
    if (rate === -1 || rate === -2) {
      if (!spec) return;
      const [needs, word] = rate === -1 ? [spec.modelRate, 'rate'] : [spec.modelDuration, 'duration'];
      if (!needs) this.issue('D209', row, Slot.RATE, fields, `RATE=${text} asks the model for the infusion ${word}, but input ${spec.name} declares no ${word}(...)`);
    } else if (rate < 0) {
      this.issue('D209', row, Slot.RATE, fields, `RATE must be 0 (bolus), > 0 (infusion rate), -1 (rate from the model) or -2 (duration from the model), found ${text}`);
    } else if (spec && !spec.infusion) {
      this.issue('D209', row, Slot.RATE, fields, `RATE=${text} on a dose into input ${spec.name}, which is a bolus; declare the input \`infusion\` to take rates from the data`);
    }
  }

  /** The cell of `slot` as written (for messages); `.` when the column is absent. */
  private text(slot: number, fields: readonly string[]): string {
    const column = this.columns.slotColumn[slot]!;
    return column >= 0 ? cleanCell(fields[column] ?? '') : '.';
  }

  private issue(code: Parameters<IssueList['add']>[0], row: number, slot: number, fields: readonly string[], message: string): void {
    const column = this.columns.slotColumn[slot]!;
    if (column < 0) {
      this.issues.add(code, row, message);
      return;
    }
    this.issues.add(code, row, message, { column: column + 1, columnName: this.columns.header[column] ?? this.columns.slotNames[slot] ?? '', value: cleanCell(fields[column] ?? '') });
  }
}
