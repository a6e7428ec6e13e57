/**
 * The covariate change points the reader builds for the engine (runtime/data/covariate-points.ts): a carried-
 * forward covariate gives a step where its value changes (two rows at one time: the last one's value), a linear
 * one a line between the rows that give it ('.' rows are no nodes), constant after its last node; the points are
 * the union of both, each with every covariate's value and slope.
 */
import { describe, expect, it } from 'vitest';
import { formatIssue, readDataset, type DataRequirements } from '../../runtime/data/index.js';
import { csv } from './fixtures.js';

const requirements: DataRequirements = {
  covariates: [{ name: 'WT', categorical: false }, { name: 'ALB', categorical: false, interpolation: 'linear' }],
  outputs: [{ name: 'conc', dvid: 1 }],
  inputs: [{ name: 'iv', cmt: 1, infusion: false, modelRate: false, modelDuration: false }],
};

describe('covariate change points', () => {
  const text = csv(
    'ID,TIME,DV,AMT,EVID,WT,ALB',
    '1,0,.,100,1,70,40', '1,2,1,.,0,70,.', '1,4,1,.,0,80,.', '1,4,.,.,2,90,.', '1,6,1,.,0,90,30', '1,9,1,.,0,90,.', '1,12,1,.,0,90,36', '1,20,1,.,0,90,.',
  );
  const result = readDataset(text, 'tvc.csv', requirements);
  const d = result.dataset!;

  it('reads without issues', () => expect(result.issues.map((i) => formatIssue(i, 'tvc.csv'))).toEqual([]));

  it('has points at the first row, the step of WT, and the nodes of ALB, with values and slopes', () => {
    const n = d.covariateChangeCount[0]!;
    const points = Array.from({ length: n }, (_, k) => [d.covariateTime[k], d.covariateValues[2 * k], d.covariateSlope[2 * k], d.covariateValues[2 * k + 1], d.covariateSlope[2 * k + 1]]);
    expect(points).toEqual([
      [0, 70, 0, 40, -10 / 6],
      [4, 90, 0, 40 - (10 / 6) * 4, -10 / 6],
      [6, 90, 0, 30, 1],
      [12, 90, 0, 36, 0],
    ]);
  });
});
