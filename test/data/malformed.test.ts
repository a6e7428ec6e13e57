/**
 * Malformed data files: each fixture asserts the exact, complete list of formatted issues (row, column number and
 * name, code, message), so a change of wording or position is a visible test change, and none may throw.
 * Rows count the header as row 1 (spreadsheet numbering).
 */
import { describe, expect, it } from 'vitest';
import { formatIssue, readDataset, type DataRequirements, type ReadDatasetOptions } from '../../runtime/data/index.js';
import { csv, rich, theophylline } from './fixtures.js';

interface Fixture {
  readonly name: string;
  readonly text: string;
  readonly expected: readonly string[];
  readonly options?: ReadDatasetOptions;
  readonly requirements?: DataRequirements;
}

/** The header most fixtures use with the `rich` interface. */
const H = 'ID,TIME,DV,AMT,EVID,CMT,DVID,WT,SEX';
const DOSE = '1,0,.,100,1,1,.,70,1';
const OBS = '1,1,5,.,0,.,1,70,1';

const fixtures: Fixture[] = [
  {
    name: 'non-numeric DV',
    text: csv(H, DOSE, '1,1,abc,.,0,.,1,70,1'),
    expected: ['bad.csv:3:3 (DV): error D200: DV must be a number, found "abc"'],
  },
  {
    name: 'NaN written for a missing DV',
    text: csv(H, DOSE, '1,1,NaN,.,0,.,1,70,1'),
    expected: ['bad.csv:3:3 (DV): error D200: DV must be a number, found "NaN" (missing values are written ., NA or left empty)'],
  },
  {
    name: 'categorical covariate written as text',
    text: csv(H, '1,0,.,100,1,1,.,70,M', '1,1,5,.,0,.,1,70,M'),
    expected: [
      'bad.csv:2:9 (SEX): error D200: SEX must be a number, found "M" (categorical covariates must be coded as numbers)',
      'bad.csv:3:9 (SEX): error D200: SEX must be a number, found "M" (categorical covariates must be coded as numbers)',
    ],
  },
  {
    name: 'hexadecimal amount',
    text: csv(H, '1,0,.,0x10,1,1,.,70,1', OBS),
    expected: ['bad.csv:2:4 (AMT): error D200: AMT must be a number, found "0x10"'],
  },
  {
    name: 'infinite covariate',
    text: csv(H, '1,0,.,100,1,1,.,Infinity,1', OBS),
    expected: ['bad.csv:2:8 (WT): error D200: WT must be a number, found "Infinity"'],
  },
  {
    name: 'decimal comma in a semicolon-separated file',
    text: csv('ID;TIME;DV;WT;SEX;DVID', '1;0;5,5;70;1;1'),
    expected: ['bad.csv:2:3 (DV): error D200: DV must be a number, found "5,5" (write decimals with a point, not a comma)'],
  },
  {
    name: 'no ID column',
    text: csv('SUBJ,TIME,DV,WT', '1,0,5,70'),
    requirements: theophylline,
    expected: ['bad.csv:1: error D102: no ID column: every data file needs ID, TIME and DV (columns: SUBJ, TIME, DV, WT); if it has another name, use --map ID=COLUMN'],
  },
  {
    name: 'no TIME and no DV column',
    text: csv('ID,T,Y,WT', '1,0,5,70'),
    requirements: theophylline,
    expected: [
      'bad.csv:1: error D102: no TIME column: every data file needs ID, TIME and DV (columns: ID, T, Y, WT); if it has another name, use --map TIME=COLUMN',
      'bad.csv:1: error D102: no DV column: every data file needs ID, TIME and DV (columns: ID, T, Y, WT); if it has another name, use --map DV=COLUMN',
    ],
  },
  {
    name: 'space-separated file',
    text: csv('ID TIME DV WT', '1 0 5 70'),
    requirements: theophylline,
    expected: ['bad.csv:1: error D102: the header is one column, "ID TIME DV WT": columns seem to be separated by spaces, but only commas, semicolons and tabs separate columns'],
  },
  {
    name: 'two outputs and no DVID column',
    text: csv('ID,TIME,DV,WT,SEX', '1,1,5,70,1'),
    expected: ['bad.csv:1: error D102: no DVID (or YTYPE) column: the model has 2 outputs (conc DVID 1, effect DVID 2), so each observation must say which it is'],
  },
  {
    name: 'DVID and YTYPE both present',
    text: csv('ID,TIME,DV,DVID,YTYPE,WT,SEX', '1,1,5,1,1,70,1'),
    expected: ['bad.csv:1: error D103: columns 4 (DVID) and 5 (YTYPE) both give DVID; remove one or choose with --map DVID=COLUMN'],
  },
  {
    name: 'covariate the model uses but the data lacks',
    text: csv('ID,TIME,DV,AMT,EVID,CMT,DVID,WT', '1,0,.,100,1,1,.,70', '1,1,5,.,0,.,1,70'),
    expected: ['bad.csv:1: error D106: the model uses covariate SEX but the data has no SEX column (columns: ID, TIME, DV, AMT, EVID, CMT, DVID, WT); name the column that holds it with --map SEX=COLUMN'],
  },
  {
    name: '--map with an unknown name and an unknown column',
    text: csv(H, DOSE, OBS),
    options: { map: { BW: 'WT', WT: 'WEIGHT' } },
    expected: [
      'bad.csv:1: error D105: --map BW=WT: BW is neither a covariate of the model (WT, SEX) nor a standard column (ID, TIME, DV, MDV, EVID, AMT, CMT, RATE, II, ADDL, SS, DVID, CENS, LIMIT)',
      'bad.csv:1: error D105: --map WT=WEIGHT: there is no column WEIGHT (columns: ID, TIME, DV, AMT, EVID, CMT, DVID, WT, SEX)',
    ],
  },
  {
    name: 'time going backwards within a subject',
    text: csv(H, DOSE, '1,2,5,.,0,.,1,70,1', '1,1.5,4,.,0,.,1,70,1', '1,3,3,.,0,.,1,70,1'),
    expected: ["bad.csv:4:2 (TIME): error D202: TIME 1.5 is earlier than 2 on row 3 (ID 1); sort each subject's rows by TIME"],
  },
  {
    name: 'negative amount',
    text: csv(H, '1,0,.,-100,1,1,.,70,1', OBS),
    expected: ['bad.csv:2:4 (AMT): error D203: AMT must not be negative, found -100'],
  },
  {
    name: 'dose into a CMT no input has',
    text: csv(H, '1,0,.,100,1,3,.,70,1', OBS),
    expected: ['bad.csv:2:6 (CMT): error D204: dose into CMT 3, which matches no input of the model: oral (CMT 1), iv (CMT 2)'],
  },
  {
    name: 'subject without observations',
    text: csv(H, DOSE, OBS, '2,0,.,100,1,1,.,80,0', '2,1,.,.,2,.,.,80,0'),
    expected: ['bad.csv:4:1 (ID): warning D300: ID 2 has no observations; it is kept, but contributes nothing to the fit'],
  },
  {
    name: 'exact duplicate observation row',
    text: csv(H, DOSE, OBS, OBS),
    expected: ['bad.csv:4: warning D301: row repeats row 3 exactly; both are kept (a repeated dose row gives the dose twice)'],
  },
  {
    name: 'exact duplicate dose row',
    text: csv(H, DOSE, DOSE, OBS),
    expected: ['bad.csv:3: warning D301: row repeats row 2 exactly; both are kept (a repeated dose row gives the dose twice)'],
  },
  {
    name: 'DV on a dose row (0 is a placeholder and passes)',
    text: csv(H, '1,0,12.5,100,1,1,.,70,1', '1,0,0,50,1,1,.,70,1', OBS),
    expected: ['bad.csv:2:3 (DV): warning D303: DV 12.5 on a dose row (EVID=1) is ignored; put the observation on its own row with EVID=0'],
  },
  {
    name: 'steady state: SS on rows that give no dose, SS without II, SS out of range',
    text: csv(
      'ID,TIME,DV,AMT,EVID,CMT,SS,II,DVID,WT,SEX',
      '1,0,.,100,1,1,1,12,.,70,1', '1,1,5,.,0,.,1,.,1,70,1', '1,2,.,.,2,.,2,.,.,70,1', '1,3,.,.,3,.,1,.,.,70,1',
      '1,4,.,100,1,1,1,.,.,70,1', '1,5,.,100,1,1,2,0,.,70,1', '1,6,.,100,1,1,3,12,.,70,1', '1,7,.,100,4,1,1,12,.,70,1',
    ),
    expected: [
      'bad.csv:3:7 (SS): error D206: SS=1 on an observation row (EVID=0): the steady state belongs on the dose row (EVID=1 or 4) it repeats',
      'bad.csv:4:7 (SS): error D206: SS=2 on an other row (EVID=2): the steady state belongs on the dose row (EVID=1 or 4) it repeats',
      'bad.csv:5:7 (SS): error D206: SS=1 on a reset row (EVID=3): the steady state belongs on the dose row (EVID=1 or 4) it repeats',
      'bad.csv:6:7 (SS): error D206: SS=1 is the steady state of a dose repeated every II, but II is missing or 0: set II to the dosing interval (a steady-state constant infusion, SS with II=0, is not supported)',
      'bad.csv:7:7 (SS): error D206: SS=2 is the steady state of a dose repeated every II, but II is missing or 0: set II to the dosing interval (a steady-state constant infusion, SS with II=0, is not supported)',
      'bad.csv:8:7 (SS): error D206: SS must be 0 (no steady state), 1 (reset to the steady state) or 2 (add the steady state), found 3',
    ],
  },
  {
    name: 'steady state without an II column',
    text: csv('ID,TIME,DV,AMT,EVID,CMT,SS,DVID,WT,SEX', '1,0,.,100,1,1,1,.,70,1', '1,1,5,.,0,.,.,1,70,1'),
    expected: ['bad.csv:2:7 (SS): error D206: SS=1 is the steady state of a dose repeated every II, but the data has no II column: set II to the dosing interval (a steady-state constant infusion, SS with II=0, is not supported)'],
  },
  {
    name: 'a reset or SS=1 after a dose or reset at the same time; AMT on a reset row',
    text: csv(
      'ID,TIME,DV,AMT,EVID,CMT,SS,II,DVID,WT,SEX',
      '1,0,.,100,1,1,.,.,.,70,1', '1,0,.,.,3,.,.,.,.,70,1', '1,1,5,.,0,.,.,.,1,70,1', '1,2,.,.,3,.,.,.,.,70,1', '1,2,.,100,4,1,.,.,.,70,1',
      '1,3,.,100,1,1,.,.,.,70,1', '1,3,.,100,1,1,1,12,.,70,1', '1,4,.,50,3,.,.,.,.,70,1', '1,5,5,.,0,.,.,.,1,70,1',
    ),
    expected: [
      'bad.csv:3:5 (EVID): error D215: EVID=3 resets would discard the dose of row 2 at the same time; put this row first at its time (and use SS=2 for a steady state that adds to another)',
      'bad.csv:6:5 (EVID): error D215: EVID=4 resets would discard the reset of row 5 at the same time; put this row first at its time (and use SS=2 for a steady state that adds to another)',
      'bad.csv:8:7 (SS): error D215: SS=1 resets to the steady state and would discard the dose of row 7 at the same time; put this row first at its time (and use SS=2 for a steady state that adds to another)',
      'bad.csv:9:4 (AMT): warning D306: AMT=50 on a reset row (EVID=3) is ignored; EVID=4 resets and doses',
    ],
  },
  {
    name: 'an observation between two events at its time (not when no event precedes it, nor for an infusion start or a bolus no output reads after it)',
    requirements: { ...rich, inputs: [{ ...rich.inputs[0]!, observed: true }, rich.inputs[1]!, { name: 'depot', cmt: 3, infusion: false, modelRate: false, modelDuration: false }] },
    text: csv(
      'ID,TIME,DV,AMT,EVID,CMT,RATE,DVID,WT,SEX',
      '1,0,5,.,0,.,.,1,70,1', '1,0,.,100,1,1,.,.,70,1', '1,0,6,.,0,.,.,1,70,1', '1,0,.,50,1,1,.,.,70,1', '1,4,.,100,1,1,.,.,70,1', '1,4,5,.,0,.,.,1,70,1', '1,4,.,100,1,2,50,.,70,1', '1,4,.,100,1,3,.,.,70,1',
      '2,0,.,100,1,1,.,.,70,1', '2,6,.,.,3,.,.,.,70,1', '2,6,4,.,0,.,.,1,70,1', '2,6,.,100,1,1,.,.,70,1', '2,8,4,.,0,.,.,1,70,1', '2,8,.,100,1,1,.,.,70,1',
    ),
    expected: [
      'bad.csv:5: warning D308: ID 1: the dose of this row follows the observation of row 4, which follows the dose of row 3 at the same time (0): that observation gets the state after every event at its time, this one included (NONMEM, reading records in order, would give it the state before this row); put the observation row after this one, or first at its time',
      'bad.csv:13: warning D308: ID 2: the dose of this row follows the observation of row 12, which follows the reset of row 11 at the same time (6): that observation gets the state after every event at its time, this one included (NONMEM, reading records in order, would give it the state before this row); put the observation row after this one, or first at its time',
    ],
  },
  {
    name: 'values that are no EVID',
    text: csv(H, DOSE, OBS, '1,26,.,.,7,.,.,70,1', '1,27,.,.,1.5,.,.,70,1'),
    expected: [
      'bad.csv:4:5 (EVID): error D207: EVID must be 0 (observation), 1 (dose), 2 (other), 3 (reset) or 4 (reset and dose), found 7',
      'bad.csv:5:5 (EVID): error D207: EVID must be 0 (observation), 1 (dose), 2 (other), 3 (reset) or 4 (reset and dose), found 1.5',
    ],
  },
  {
    name: 'ADDL without an II column',
    text: csv('ID,TIME,DV,AMT,EVID,CMT,ADDL,DVID,WT,SEX', '1,0,.,100,1,1,3,.,70,1', '1,1,5,.,0,.,.,1,70,1'),
    expected: ['bad.csv:2:7 (ADDL): error D208: ADDL=3 repeats the dose, but the data has no II column: set II to the interval between doses'],
  },
  {
    name: 'ADDL with II 0, ADDL negative or fractional, II without ADDL',
    text: csv(
      'ID,TIME,DV,AMT,EVID,CMT,ADDL,II,DVID,WT,SEX',
      '1,0,.,100,1,1,3,0,.,70,1', '1,1,5,.,0,.,.,.,1,70,1', '1,2,.,100,1,1,-1,12,.,70,1', '1,3,.,100,1,1,2.5,12,.,70,1', '1,4,.,100,1,1,.,12,.,70,1',
    ),
    expected: [
      'bad.csv:2:7 (ADDL): error D208: ADDL=3 repeats the dose, but II is missing or 0: set II to the interval between doses',
      'bad.csv:4:7 (ADDL): error D211: ADDL (the number of additional doses) must be a whole number from 0 to 100000, found -1',
      'bad.csv:5:7 (ADDL): error D211: ADDL (the number of additional doses) must be a whole number from 0 to 100000, found 2.5',
      'bad.csv:6:8 (II): warning D305: II=12 without ADDL or SS has no effect; set ADDL to the number of additional doses, or SS=1 for a steady state',
    ],
  },
  {
    name: 'RATE: model rate/duration the input does not define, bolus input, invalid code',
    text: csv(
      'ID,TIME,DV,AMT,EVID,CMT,RATE,DVID,WT,SEX',
      '1,0,.,100,1,1,-1,.,70,1', '1,0,.,100,1,2,-2,.,70,1', '1,1,.,100,1,1,10,.,70,1', '1,2,.,100,1,2,-3,.,70,1',
      '1,3,.,100,1,2,-1,.,70,1', '1,4,.,100,1,2,50,.,70,1', '1,5,5,.,0,.,.,1,70,1',
    ),
    expected: [
      'bad.csv:2:7 (RATE): error D209: RATE=-1 asks the model for the infusion rate, but input oral declares no rate(...)',
      'bad.csv:4:7 (RATE): error D209: RATE=10 on a dose into input oral, which is a bolus; declare the input `infusion` to take rates from the data',
      'bad.csv:5:7 (RATE): error D209: RATE must be 0 (bolus), > 0 (infusion rate), -1 (rate from the model) or -2 (duration from the model), found -3',
      'bad.csv:6:7 (RATE): error D209: RATE=-1 asks the model for the infusion rate, but input iv declares no rate(...)',
    ],
  },
  {
    name: 'DVID matching no output, and missing on an observation',
    text: csv(H, DOSE, '1,1,5,.,0,.,3,70,1', '1,2,5,.,0,.,.,70,1', '1,3,5,.,0,.,2,70,1'),
    expected: [
      'bad.csv:3:7 (DVID): error D210: observation with DVID 3, which matches no output of the model: conc (DVID 1), effect (DVID 2)',
      'bad.csv:4:7 (DVID): error D210: observation with a missing DVID, which matches no output of the model: conc (DVID 1), effect (DVID 2)',
    ],
  },
  {
    name: 'ragged row: too few fields',
    text: csv(H, DOSE, '1,1,5,.,0,.,1', '1,2,5,.,0,.,1,70,1'),
    expected: ['bad.csv:3:8 (WT): error D104: row has 7 fields, the header has 9; the row is not read (WT and after are missing)'],
  },
  {
    name: 'ragged row: too many fields',
    text: csv(H, DOSE, '1,1,5,3,.,0,.,1,70,1', '1,2,5,.,0,.,1,70,1'),
    expected: ['bad.csv:3:10: error D104: row has 10 fields, the header has 9; the row is not read (a decimal comma? write decimals with a point, or separate columns with semicolons)'],
  },
  {
    name: 'quote never closed',
    text: csv(H, DOSE, '1,1,5,.,0,.,1,"70,1', '1,2,5,.,0,.,1,70,1'),
    expected: ['bad.csv:3:8 (WT): error D100: a quoted field starts in this row and is never closed; the rest of the file was not read'],
  },
  {
    name: 'text after a closing quote',
    text: csv(H, DOSE, '1,1,5,.,0,"."x,1,70,1', '1,2,5,.,0,.,1,70,1'),
    expected: ['bad.csv:3:6 (CMT): error D100: a quoted field must end at a separator or line end, but "x" follows its closing quote; the rest of the file was not read'],
  },
  {
    name: 'quote inside an unquoted field',
    text: csv(H, DOSE, '1,1,5,.,0,.,1,7"0,1', '1,2,5,.,0,.,1,70,1'),
    expected: ['bad.csv:3:8 (WT): error D100: a quote inside an unquoted field; quote the whole field and double the quote (""); the rest of the file was not read'],
  },
  {
    name: 'missing ID and missing TIME',
    text: csv(H, DOSE, '.,1,5,.,0,.,1,70,1', '1,NA,5,.,0,.,1,70,1', '1,3,5,.,0,.,1,70,1'),
    expected: [
      'bad.csv:3:1 (ID): error D201: ID is missing; every row needs an ID and a TIME',
      'bad.csv:4:2 (TIME): error D201: TIME is missing; every row needs an ID and a TIME',
    ],
  },
  {
    name: "a subject's rows split by another subject",
    text: csv(H, DOSE, OBS, '2,0,.,100,1,1,.,70,1', '2,1,5,.,0,.,1,70,1', '1,2,5,.,0,.,1,70,1'),
    expected: ["bad.csv:6:1 (ID): error D213: rows of ID 1 start again here, after other subjects (its first row is 2); keep each subject's rows together, sorted by TIME"],
  },
  {
    name: 'MDV=0 with DV missing, MDV=2',
    text: csv('ID,TIME,DV,MDV,DVID,WT,SEX', '1,0,.,0,1,70,1', '1,1,5,2,1,70,1', '1,2,5,0,1,70,1', '1,3,5,1,1,70,1'),
    expected: [
      'bad.csv:2:3 (DV): warning D304: MDV=0 says this row is an observation, but DV is missing; it is counted as a missing observation',
      'bad.csv:3:4 (MDV): error D211: MDV must be 0 or 1, found 2',
    ],
  },
  {
    name: 'censoring the outputs do not declare, and an invalid CENS',
    text: csv('ID,TIME,DV,CENS,LIMIT,DVID,WT,SEX', '1,1,0.1,1,0,1,70,1', '1,2,0.1,-1,.,1,70,1', '1,3,0.5,1,.,2,70,1', '1,4,0.5,2,.,1,70,1'),
    expected: [
      'bad.csv:3:4 (CENS): error D212: CENS=-1 marks the value right-censored (DV is a lower bound), but output conc declares censored(left); add censored(right) to it',
      'bad.csv:4:4 (CENS): error D212: CENS=1 marks the value left-censored (DV is an upper bound), but output effect declares no censoring; add censored(left) to it',
      'bad.csv:5:4 (CENS): error D211: CENS must be 0, 1 (below a limit) or -1 (above a limit), found 2',
    ],
  },
  {
    name: 'covariate with no value for a whole subject',
    text: csv(H, '1,0,.,100,1,1,.,.,1', '1,1,5,.,0,.,1,NA,1', '2,0,.,100,1,1,.,80,1', '2,1,5,.,0,.,1,80,1'),
    expected: ['bad.csv:2:8 (WT): error D214: covariate WT has no value for ID 1'],
  },
  {
    name: 'categorical covariate with a fraction',
    text: csv(H, '1,0,.,100,1,1,.,70,1.5', '1,1,5,.,0,.,1,70,1.5'),
    expected: [
      'bad.csv:2:9 (SEX): error D211: categorical covariate SEX must be coded as a whole number, found 1.5',
      'bad.csv:3:9 (SEX): error D211: categorical covariate SEX must be coded as a whole number, found 1.5',
    ],
  },
  {
    name: 'II without ADDL, AMT on an observation, a zero dose, a dose without amount',
    text: csv('ID,TIME,DV,AMT,EVID,CMT,II,DVID,WT,SEX', '1,0,.,100,1,1,24,.,70,1', '1,1,5,100,0,.,.,1,70,1', '1,2,.,0,1,1,.,.,70,1', '1,3,.,.,1,1,.,.,70,1'),
    expected: [
      'bad.csv:2:7 (II): warning D305: II=24 without ADDL or SS has no effect; set ADDL to the number of additional doses, or SS=1 for a steady state',
      'bad.csv:3:4 (AMT): warning D306: AMT=100 on an observation row (EVID=0) is ignored; doses need EVID=1',
      'bad.csv:4:4 (AMT): warning D307: dose of AMT=0 has no effect',
      'bad.csv:5:4 (AMT): error D205: dose row (EVID=1) without an amount',
    ],
  },
  {
    name: 'dose rows for a model without inputs',
    text: csv('ID,TIME,DV,AMT,WT', '1,0,.,100,70', '1,1,5,.,70'),
    requirements: { ...theophylline, inputs: [] },
    expected: ['bad.csv:2: error D204: dose row, but the model takes no doses from the data (declare an `input` in its dosing block)'],
  },
  {
    name: 'a subject whose only observation row is rejected gets no extra "no observations" warning',
    text: csv(H, DOSE, '1,1,5,.,0,.,1,70'),
    expected: ['bad.csv:3:9 (SEX): error D104: row has 8 fields, the header has 9; the row is not read (SEX and after are missing)'],
  },
  {
    name: 'empty file',
    text: '',
    expected: ['bad.csv:1: error D101: the file is empty: it needs a header row naming the columns (ID, TIME, DV, …)'],
  },
  {
    name: 'header only',
    text: csv(H),
    expected: ['bad.csv:1: error D107: the file has a header but no data rows'],
  },
  {
    name: 'row numbers after a quoted field spanning two lines',
    text: csv(H, '1,0,.,100,1,1,.,70,"1\n"', '1,1,abc,.,0,.,1,70,1'),
    expected: ['bad.csv:4:3 (DV): error D200: DV must be a number, found "abc"'],
  },
  {
    name: 'row numbers count blank lines; empty rows are skipped',
    text: csv(H, '', DOSE, '', '', '1,1,abc,.,0,.,1,70,1', ',,,,,,,,', ' , ', '1,2,5,.,0,.,1,70,1'),
    expected: ['bad.csv:6:3 (DV): error D200: DV must be a number, found "abc"'],
  },
  {
    name: 'the same mistake on 60 rows: 50 listed, the rest counted',
    text: csv(H, ...Array.from({ length: 60 }, (_, i) => `1,${i},x,.,0,.,1,70,1`)),
    expected: [
      ...Array.from({ length: 50 }, (_, i) => `bad.csv:${i + 2}:3 (DV): error D200: DV must be a number, found "x"`),
      'bad.csv:52: error D200: 10 more D200 issues (not a number) from this row on, not listed',
    ],
  },
];

describe('malformed data files', () => {
  it('has at least 25 fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(25);
  });

  it.each(fixtures)('$name', ({ text, expected, options, requirements }) => {
    let result: ReturnType<typeof readDataset> | undefined;
    expect(() => {
      result = readDataset(text, 'bad.csv', requirements ?? rich, options);
    }).not.toThrow();
    expect(result!.issues.map((i) => formatIssue(i, 'bad.csv'))).toEqual(expected);
    // The dataset comes back exactly when nothing is an error.
    const errors = result!.issues.some((i) => i.severity === 'error');
    expect(result!.dataset === undefined).toBe(errors);
  });
});
