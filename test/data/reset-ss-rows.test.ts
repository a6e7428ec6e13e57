/**
 * EVID 3/4 and SS rows as the reader lays them out for the engine: the dose events' kinds (stdlib/dose-events.ts),
 * a reset before the dose of EVID 4, the interval of a steady state, ADDL repeats after SS as plain doses, pending
 * ADDL repeats of earlier rows cancelled by a reset or an SS = 1 dose (NONMEM's rule), and how the rows are counted. The messages for bad SS/EVID rows are in malformed.test.ts; the engine's side in
 * test/engine/reset-evid.test.ts and ss-steady-state.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { formatIssue, readDataset } from '../../runtime/data/index.js';
import { DoseKind } from '../../stdlib/dose-events.js';
import { csv, rich } from './fixtures.js';

describe('resets and steady state in the dataset', () => {
  const text = csv(
    'ID,TIME,DV,AMT,EVID,CMT,RATE,SS,II,ADDL,DVID,WT,SEX',
    '1,0,.,100,1,1,.,1,12,2,.,70,1', // SS=1 bolus, then 2 additional doses at 12 and 24
    '1,6,4,.,0,.,.,.,.,.,1,70,1',
    '1,30,.,.,3,.,.,.,.,.,.,70,1', // reset
    '1,40,.,50,4,2,25,.,.,.,.,70,1', // reset and infusion
    '1,40,.,20,1,1,.,2,24,.,.,70,1', // SS=2 after it at the same time
    '1,41,3,.,0,.,.,.,.,.,1,70,1',
  );
  const result = readDataset(text, 'ss.csv', rich);

  it('reads without issues and counts the reset row among the other rows', () => {
    expect(result.issues.map((i) => formatIssue(i, 'ss.csv'))).toEqual([]);
    expect(result.summary).toMatchObject({ rows: 6, observations: 2, doses: 3, doseEvents: 5, otherRows: 1 });
  });

  it('gives the engine the events in time order with their kinds, inputs and intervals', () => {
    const d = result.dataset!;
    const n = d.doseCount[0]!;
    const events = Array.from({ length: n }, (_, k) => [d.doseTime[k], d.doseKind[k], d.doseInput[k], d.doseAmount[k], d.doseRate[k], d.doseInterval[k], d.doseRow[k]]);
    expect(events).toEqual([
      [0, DoseKind.steadyState, 0, 100, 0, 12, 2],
      [12, DoseKind.dose, 0, 100, 0, 0, 2],
      [24, DoseKind.dose, 0, 100, 0, 0, 2],
      [30, DoseKind.reset, -1, 0, 0, 0, 4],
      [40, DoseKind.reset, -1, 0, 0, 0, 5],
      [40, DoseKind.dose, 1, 50, 25, 0, 5],
      [40, DoseKind.steadyStateAdded, 0, 20, 0, 24, 6],
    ]);
  });
});

describe('pending ADDL repeats at a reset or an SS = 1 dose', () => {
  // Each reset cuts the repeats of the rows before it (those at or after its time); its own repeats are kept.
  const text = csv(
    'ID,TIME,DV,AMT,EVID,CMT,RATE,SS,II,ADDL,DVID,WT,SEX',
    '1,0,.,100,1,1,.,.,6,5,.,70,1', // repeats at 6, 12 (then 18, 24, 30 are cut by the SS = 1 row at 15)
    '1,1,2,.,0,.,.,.,.,.,1,70,1',
    '1,15,.,40,1,2,.,1,12,3,.,70,1', // SS = 1 with its own repeats at 27, 39 (51 is cut by the reset at 40)
    '1,40,.,.,3,.,.,.,.,.,.,70,1', // reset
    '1,50,.,10,1,1,.,.,5,2,.,70,1', // repeats at 55 and 60: the EVID 4 row at 60 cuts the one at its own time
    '1,60,.,20,4,1,.,.,.,.,.,70,1',
    '1,61,3,.,0,.,.,.,.,.,1,70,1',
  );
  const result = readDataset(text, 'cut.csv', rich);

  it('gives the repeats before the next reset only, and counts only those', () => {
    expect(result.issues.map((i) => formatIssue(i, 'cut.csv'))).toEqual([]);
    const d = result.dataset!;
    const events = Array.from({ length: d.doseCount[0]! }, (_, k) => [d.doseTime[k], d.doseKind[k], d.doseRow[k]]);
    expect(events).toEqual([
      [0, DoseKind.dose, 2], [6, DoseKind.dose, 2], [12, DoseKind.dose, 2],
      [15, DoseKind.steadyState, 4], [27, DoseKind.dose, 4], [39, DoseKind.dose, 4],
      [40, DoseKind.reset, 5],
      [50, DoseKind.dose, 6], [55, DoseKind.dose, 6],
      [60, DoseKind.reset, 7], [60, DoseKind.dose, 7],
    ]);
    expect(result.summary).toMatchObject({ doses: 4, doseEvents: 9 });
  });
});
