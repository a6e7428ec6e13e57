/** Data files that read: theophylline, ADDL expansion, covariates carried forward, aliases, --map, the layout. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { formatIssue, readDataset, requirementsFromIr, type Dataset } from '../../runtime/data/index.js';
import { isMissing } from '../../runtime/data/missing-values.js';
import { parseNumber } from '../../runtime/data/parse-number.js';
import { csv, rich, theophylline } from './fixtures.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const theophPath = path.resolve(repoRoot, 'test', 'data', 'fixtures', 'theoph.csv'); // a copy of the published data set (R's Theoph)
const examplePath = path.resolve(repoRoot, 'examples', 'theophylline', 'data.csv');

const formatted = (result: ReturnType<typeof readDataset>, file = 'data.csv'): string[] => result.issues.map((i) => formatIssue(i, file));
/** Subject s's first n entries of a per-observation (stride O) or per-dose (stride D) array. */
const slice = (array: ArrayLike<number>, s: number, stride: number, n = stride): number[] => Array.from(array).slice(s * stride, s * stride + n);

describe('theophylline', () => {
  const text = readFileSync(theophPath, 'utf8');
  const result = readDataset(text, 'theoph.csv', theophylline);
  const d = result.dataset!;

  it('reads 12 subjects, 132 observations, 12 doses, without issues', () => {
    expect(formatted(result)).toEqual([]);
    expect(result.summary).toEqual({
      rows: 144, subjects: 12, observations: 132, doses: 12, doseEvents: 12, missingDv: 0, otherRows: 0, rejectedRows: 0, ignoredColumns: ['DOSE'],
    });
    expect(result.summaryLine).toBe('theoph.csv: 12 subjects, 132 observations, 12 doses, 0 missing DV, 0 other rows (144 rows; ignored columns: DOSE)');
  });

  it('lays the subjects out in padded row-major arrays', () => {
    expect([d.subjectCount, d.maxObservations, d.maxDoses, d.maxCovariateChanges, d.covariateCount]).toEqual([12, 11, 1, 1, 1]);
    expect(d.ids).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12']);
    expect(Array.from(d.observationCount)).toEqual(Array(12).fill(11));
    expect(slice(d.obsTime, 0, 11)).toEqual([0, 0.25, 0.57, 1.12, 2.02, 3.82, 5.1, 7.03, 9.05, 12.12, 24.37]);
    expect(slice(d.obsValue, 0, 11)).toEqual([0.74, 2.84, 6.57, 10.5, 9.66, 8.58, 8.36, 7.47, 6.89, 5.94, 3.28]);
    expect(slice(d.obsRow, 0, 11)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(slice(d.obsRow, 1, 11, 1)).toEqual([15]); // subject 2: its dose is row 14
    expect(new Set(d.obsOutput)).toEqual(new Set([0]));
    expect(new Set(d.obsMask)).toEqual(new Set([1]));
    expect(slice(d.doseAmount, 0, 1)).toEqual([319.992]);
    expect(slice(d.doseAmount, 1, 1)).toEqual([318.56]);
    expect(Array.from(d.doseTime)).toEqual(Array(12).fill(0));
    expect(Array.from(d.doseInput)).toEqual(Array(12).fill(0));
    expect(Array.from(d.doseRate)).toEqual(Array(12).fill(0));
    expect(slice(d.obsCovariates, 0, 11, 2)).toEqual([79.6, 79.6]);
    expect(slice(d.doseCovariates, 1, 1)).toEqual([72.4]);
    expect(slice(d.covariateValues, 1, 1)).toEqual([72.4]);
    expect(d.outputNames).toEqual(['conc']);
    expect(d.inputNames).toEqual(['oral']);
  });

  it('is the example data, and reads the same with the requirements of the compiled example model', () => {
    expect(readFileSync(examplePath, 'utf8')).toBe(text);
    const model = compile(readFileSync(path.resolve(repoRoot, 'examples', 'theophylline', 'theophylline.nlm'), 'utf8'), { emit: [] });
    const requirements = requirementsFromIr(model.ir!);
    expect(requirements).toEqual(theophylline);
    const again = readDataset(readFileSync(examplePath, 'utf8'), 'data.csv', requirements);
    expect(again.summary).toEqual(result.summary);
    expect(again.dataset!.obsValue).toEqual(d.obsValue);
  });
});

describe('ADDL expansion', () => {
  const H = 'ID,TIME,DV,AMT,EVID,CMT,II,ADDL,WT';
  const result = readDataset(
    csv(H, '1,0,.,100,1,1,12,2,70', '1,1,5,.,0,2,.,.,70', '1,6,.,50,1,1,.,.,70', '1,20,4,.,0,2,.,.,72', '1,30,3,.,0,2,.,.,.'),
    'addl.csv', theophylline,
  );
  const d = result.dataset!;

  it('turns ADDL=2, II=12 into two more doses, merged into time order with the other dose rows', () => {
    expect(formatted(result)).toEqual([]);
    expect([d.maxDoses, d.doseCount[0]]).toEqual([4, 4]);
    expect(Array.from(d.doseTime)).toEqual([0, 6, 12, 24]);
    expect(Array.from(d.doseAmount)).toEqual([100, 50, 100, 100]);
    expect(Array.from(d.doseRow)).toEqual([2, 4, 2, 2]); // repeats point at the row that asked for them
    expect(result.summary.doses).toBe(2);
    expect(result.summary.doseEvents).toBe(4);
    expect(result.summaryLine).toBe('addl.csv: 1 subject, 3 observations, 2 doses (4 dose events with ADDL), 0 missing DV, 0 other rows (5 rows)');
  });

  it('gives each added dose the covariates in force at its time', () => {
    expect(Array.from(d.doseCovariates)).toEqual([70, 70, 70, 72]); // WT changes to 72 at time 20
  });
});

describe('covariates', () => {
  const H = 'ID,TIME,DV,AMT,EVID,CMT,WT';
  const text = csv(
    H,
    '1,0,.,100,1,1,.', // WT missing on the first row: back-filled from row 3
    '1,1,5,.,0,2,70',
    '1,2,4,.,0,2,.', // carried forward
    '1,4,.,.,2,.,75', // an other row that only changes WT
    '1,8,3,.,0,2,.',
    '1,8,2.5,.,0,2,76', // a change at the time of the previous row's point
    '2,0,.,100,1,1,60',
    '2,1,7,.,0,2,NA',
  );
  const result = readDataset(text, 'cov.csv', theophylline);
  const d = result.dataset!;

  it('back-fills a missing first value with a warning and carries values forward', () => {
    expect(formatted(result, 'cov.csv')).toEqual([
      'cov.csv:2:7 (WT): warning D302: covariate WT is missing on the first row of ID 1; using its first value, 70 (row 3), from the start',
    ]);
    expect(slice(d.obsCovariates, 0, d.maxObservations, 4)).toEqual([70, 70, 75, 76]);
    expect(slice(d.doseCovariates, 0, d.maxDoses, 1)).toEqual([70]);
    expect(slice(d.obsCovariates, 1, d.maxObservations, 1)).toEqual([60]);
    expect(result.summary.otherRows).toBe(1);
  });

  it('lists the change points of each subject', () => {
    expect(Array.from(d.covariateChangeCount)).toEqual([3, 1]);
    expect(d.maxCovariateChanges).toBe(3);
    expect(slice(d.covariateTime, 0, 3)).toEqual([0, 4, 8]);
    expect(slice(d.covariateValues, 0, 3)).toEqual([70, 75, 76]);
    // Padding repeats the last point.
    expect(slice(d.covariateTime, 1, 3)).toEqual([0, 0, 0]);
    expect(slice(d.covariateValues, 1, 3)).toEqual([60, 60, 60]);
  });
});

describe('padding', () => {
  const H = 'ID,TIME,DV,AMT,EVID,CMT,DVID,CENS,LIMIT,WT,SEX';
  const result = readDataset(
    csv(
      H,
      '1,0,.,100,1,1,.,.,.,70,1', '1,1,5,.,0,.,1,.,.,70,1', '1,2,0.1,.,0,.,1,1,0,70,1', '1,3,9,.,0,.,2,.,.,70,1',
      '2,0,.,100,1,2,.,.,.,80,0', '2,5,7,.,0,.,2,.,.,81,0',
      '3,0,.,100,1,1,.,.,.,90,1',
    ),
    'pad.csv', rich,
  );
  const d: Dataset = result.dataset!;

  it('pads shorter subjects: mask 0, last time and covariates repeated, indices -1, limit NaN', () => {
    expect(formatted(result, 'pad.csv')).toEqual(['pad.csv:8:1 (ID): warning D300: ID 3 has no observations; it is kept, but contributes nothing to the fit']);
    expect(d.maxObservations).toBe(3);
    expect(Array.from(d.observationCount)).toEqual([3, 1, 0]);
    expect(slice(d.obsTime, 1, 3)).toEqual([5, 5, 5]);
    expect(slice(d.obsMask, 1, 3)).toEqual([1, 0, 0]);
    expect(slice(d.obsOutput, 1, 3)).toEqual([1, -1, -1]);
    expect(slice(d.obsValue, 1, 3)).toEqual([7, 0, 0]);
    expect(slice(d.obsLimit, 1, 3)).toEqual([NaN, NaN, NaN]);
    expect(slice(d.obsCovariates, 1, 6)).toEqual([81, 0, 81, 0, 81, 0]);
    // A subject without observations: its first row's time and covariates.
    expect(slice(d.obsTime, 2, 3)).toEqual([0, 0, 0]);
    expect(slice(d.obsMask, 2, 3)).toEqual([0, 0, 0]);
    expect(slice(d.obsCovariates, 2, 6)).toEqual([90, 1, 90, 1, 90, 1]);
  });

  it('keeps outputs by DVID, censoring and limits, inputs by CMT', () => {
    expect(slice(d.obsOutput, 0, 3)).toEqual([0, 0, 1]);
    expect(slice(d.obsCensoring, 0, 3)).toEqual([0, 1, 0]);
    expect(slice(d.obsLimit, 0, 3)).toEqual([NaN, 0, NaN]);
    expect(Array.from(d.doseInput)).toEqual([0, 1, 0]);
    expect(Array.from(d.doseMask)).toEqual([1, 1, 1]);
  });
});

describe('column names', () => {
  it('matches headers in any case, YTYPE for DVID, a NONMEM "#" header, quotes, BOM and CRLF', () => {
    const text = '\uFEFF"#id","Time","dv","amt","evid","cmt","ytype","wt","sex"\r\n1,0,.,100,1,1,.,70,1\r\n1,1,5,.,0,.,2,70,1\r\n';
    const result = readDataset(text, 'alias.csv', rich);
    expect(formatted(result)).toEqual([]);
    expect(result.summary.observations).toBe(1);
    expect(Array.from(result.dataset!.obsOutput.slice(0, 1))).toEqual([1]);
  });

  it('reads semicolon- and tab-separated files', () => {
    for (const separator of [';', '\t']) {
      const text = csv(['ID', 'TIME', 'DV', 'WT'].join(separator), ['1', '0', '5.5', '70'].join(separator));
      const result = readDataset(text, 'sep.csv', theophylline);
      expect(formatted(result)).toEqual([]);
      expect(result.dataset!.obsValue[0]).toBe(5.5);
    }
  });

  it('takes --map overrides for covariates and standard columns', () => {
    const text = csv('SUBJECT,TAD,CONC,AMT,BW,WT', '1,0,.,100,70,999', '1,1,5,.,70,999');
    const result = readDataset(text, 'map.csv', theophylline, { map: { ID: 'subject', TIME: 'TAD', DV: 'CONC', WT: 'BW' } });
    expect(formatted(result)).toEqual([]);
    expect(result.summary).toMatchObject({ subjects: 1, observations: 1, doses: 1, ignoredColumns: ['WT'] });
    expect(result.dataset!.obsCovariates[0]).toBe(70);
  });

  it('matches covariate columns in any case, and accepts empty fields beyond the header', () => {
    const result = readDataset(csv('id,time,dv,wt', '1,0,5,70,', '1,1,4,70,,'), 'case.csv', theophylline);
    expect(formatted(result)).toEqual([]);
    expect(result.summary).toMatchObject({ observations: 2, rejectedRows: 0 });
    expect(result.dataset!.obsCovariates[1]).toBe(70);
  });

  it('trims cells padded with spaces, as fixed-width exports write them', () => {
    const result = readDataset(csv(' ID , TIME , DV , WT ', '  1 ,  0.5 ,  . , 70 ', '  1 ,  1.5 ,  4 , 70 '), 'pad.csv', theophylline);
    expect(formatted(result)).toEqual([]);
    expect(result.summary).toMatchObject({ observations: 1, missingDv: 1 });
    expect(result.dataset!.ids).toEqual(['1']);
  });
});

describe('rows', () => {
  it('classifies every row exactly once: observation, dose, missing DV, other, rejected', () => {
    const H = 'ID,TIME,DV,AMT,EVID,MDV,CMT,WT';
    const text = csv(H, '1,0,.,100,1,1,1,70', '1,1,5,.,0,0,2,70', '1,2,.,.,0,.,2,70', '1,3,NA,.,,,2,70', '1,4,,.,0,,2,70', '1,5,6,.,0,1,2,70', '1,6,.,.,2,.,.,70', '1,7,.,.,5,.,.,70');
    const result = readDataset(text, 'rows.csv', theophylline);
    const s = result.summary;
    expect(s).toMatchObject({ rows: 8, observations: 1, doses: 1, missingDv: 3, otherRows: 2, rejectedRows: 1 });
    expect(s.observations + s.doses + s.missingDv + s.otherRows + s.rejectedRows).toBe(s.rows);
    expect(result.summaryLine).toBe('rows.csv: 1 subject, 1 observation, 1 dose, 3 missing DV, 2 other rows, 1 row rejected (8 rows)');
  });

  it('infers doses from AMT without an EVID column, and other rows from MDV', () => {
    const result = readDataset(csv('ID,TIME,DV,AMT,MDV,WT', '1,0,.,100,1,70', '1,1,5,0,0,70', '1,2,.,0,1,70'), 'noevid.csv', theophylline);
    expect(formatted(result)).toEqual([]);
    expect(result.summary).toMatchObject({ doses: 1, observations: 1, otherRows: 1 });
  });

  it('keeps RATE as given: a rate, and -2 (duration from the model) as a mark', () => {
    const text = csv('ID,TIME,DV,AMT,EVID,CMT,RATE,DVID,WT,SEX', '1,0,.,100,1,2,-2,.,70,1', '1,1,.,100,1,2,50,.,70,1', '1,2,.,100,1,1,0,.,70,1', '1,3,5,.,0,.,.,1,70,1');
    const result = readDataset(text, 'rate.csv', rich);
    expect(formatted(result)).toEqual([]);
    expect(Array.from(result.dataset!.doseRate)).toEqual([-2, 50, 0]);
    expect(Array.from(result.dataset!.doseInput)).toEqual([1, 1, 0]);
  });

  it('keeps a quoted field that spans lines and still numbers the rows after it', () => {
    const text = csv('ID,TIME,DV,WT,NOTE', '1,0,5,70,"two', 'lines"', '1,1,x,70,.');
    expect(formatted(readDataset(text, 'q.csv', theophylline), 'q.csv')).toEqual(['q.csv:4:3 (DV): error D200: DV must be a number, found "x"']);
  });

  it('reads files of several chunks (row numbers across chunk boundaries)', () => {
    const lines = ['ID,TIME,DV,WT'];
    for (let i = 0; i < 10_000; i++) lines.push(`${1 + Math.floor(i / 10)},${i % 10},${i === 9_000 ? 'bad' : '1'},70`);
    const result = readDataset(csv(...lines), 'big.csv', theophylline);
    expect(formatted(result, 'big.csv')).toEqual(['big.csv:9002:3 (DV): error D200: DV must be a number, found "bad"']);
    expect(result.summary).toMatchObject({ rows: 10_000, subjects: 1_000, observations: 9_999, rejectedRows: 1 });
  });


  it('never cuts a quoted field that spans a chunk boundary', () => {
    const lines = ['ID,TIME,DV,WT,NOTE'];
    for (let i = 0; i < 6_000; i++) {
      const note = i === 4_094 ? '"a\nb\nc"' : i === 4_200 ? '"x,""y"""' : '.';
      lines.push(`1,${i},${i === 5_000 ? 'bad' : '1'},70,${note}`);
    }
    const result = readDataset(csv(...lines), 'big.csv', theophylline);
    // Record 5,000 is on line 5,002, plus the two extra lines of the multi-line note.
    expect(formatted(result, 'big.csv')).toEqual(['big.csv:5004:3 (DV): error D200: DV must be a number, found "bad"']);
    expect(result.summary).toMatchObject({ rows: 6_000, observations: 5_999 });
  });
});

describe('never throws', () => {
  it('on random text made of CSV punctuation, digits and words', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pieces = [',', ',', '\n', '\r\n', '"', '""', '.', 'NA', '1', '0', '-1', '2.5', 'x', ' ', ';', '\t', 'ID', 'TIME', 'DV', 'AMT', 'EVID', 'ADDL', 'II', 'WT', '1e999', '\uFEFF'];
    for (let trial = 0; trial < 300; trial++) {
      const header = trial % 2 === 0 ? 'ID,TIME,DV,AMT,EVID,CMT,II,ADDL,RATE,SS,DVID,CENS,WT,SEX\n' : '';
      let text = header;
      const length = random(200);
      for (let i = 0; i < length; i++) text += pieces[random(pieces.length)];
      const result = readDataset(text, 'fuzz.csv', rich);
      expect(result.dataset === undefined).toBe(result.issues.some((i) => i.severity === 'error'));
      const s = result.summary;
      expect(s.observations + s.doses + s.missingDv + s.otherRows + s.rejectedRows).toBe(s.rows);
      for (const issue of result.issues) expect(formatIssue(issue, 'f')).toMatch(/^f:\d+(:\d+)?( \(.*?\))?: (error|warning) D\d{3}: /);
    }
  });
});

describe('cells', () => {
  it('reads plain decimal numbers only', () => {
    expect(['12', '-0.5', '.5', '5.', '1e-3', '+2', '-0'].map(parseNumber)).toEqual([12, -0.5, 0.5, 5, 0.001, 2, -0]);
    expect(['0x10', '0b1', '0o7', 'Infinity', '-Infinity', '1e999', '12abc', '1,5', 'NaN', '1 2'].map(parseNumber).every(Number.isNaN)).toBe(true);
  });

  it('knows the three spellings of missing', () => {
    expect(['.', 'NA', ''].map(isMissing)).toEqual([true, true, true]);
    expect(['na', 'NaN', '-', '0', 'N'].map(isMissing)).toEqual([false, false, false, false, false]);
  });
});
