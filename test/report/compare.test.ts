/**
 * `nlmc report a b`: two fits of the same simulated data (proportional error, which is true, and constant error)
 * side by side. The ΔOFV must be the difference of the −2LL the two run folders report, its Monte-Carlo error the
 * root sum of squares of theirs (checked on copies whose estimates.json says so), and the estimates figure must
 * draw each fit's estimates and intervals.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runReport } from '../../cli/commands/report.js';
import { compareFits, deltaOfvSentence } from '../../runtime/report/html/compare.js';
import { capture, fitModel, simulatedCsv } from './fixture.js';
import { markLabels, value } from './svg.js';

const dir = mkdtempSync(join(tmpdir(), 'nlmc-report-compare-'));
let prop: string;
let constant: string;
type Estimates = { estimates: { name: string; estimate: number; ciLower: number | null; ciUpper: number | null }[]; likelihood: { minus2LL: number; parameters: number; aic: number } | null };
const estimatesOf = (run: string): Estimates => JSON.parse(readFileSync(join(run, 'estimates.json'), 'utf8'));

beforeAll(async () => {
  writeFileSync(join(dir, 'data.csv'), simulatedCsv(30, 9).csv);
  prop = await fitModel(dir, 'prop', 'proportional(b = 0.3)', { epochs: 40 });
  constant = await fitModel(dir, 'const', 'constant(a = 0.3)', { epochs: 40 });
}, 170_000);

describe('nlmc report a b', () => {
  it('writes the comparison with ΔOFV = −2LL(b) − −2LL(a) of the two run folders', async () => {
    const c = capture();
    expect(await runReport({ fits: [prop, constant], seed: 1, bins: 5, subjects: 4, map: {} }, c.io), c.out.stderr).toBe(0);
    const [a, b] = [estimatesOf(prop), estimatesOf(constant)];
    const delta = b.likelihood!.minus2LL - a.likelihood!.minus2LL;
    // Proportional data: the constant error model fits far worse.
    expect(delta).toBeGreaterThan(3.84);
    expect(c.out.stdout).toContain(`ΔOFV (const − prop) ${delta.toFixed(3)}`);
    const html = readFileSync(join(prop, 'compare-const.html'), 'utf8');
    expect(html).toContain(`<td>${delta.toPrecision(5)}</td>`);
    expect(html).toContain(`<td>${(b.likelihood!.aic - a.likelihood!.aic).toPrecision(5)}</td>`);
    expect(html).toContain('prop has the higher likelihood');
    expect(html).not.toMatch(/<script/);
    // The same number of parameters (b against a): no likelihood-ratio threshold is offered.
    expect(html).not.toContain('likelihood-ratio test');
  });

  it('draws each fit’s estimate and 95 % CI per parameter', () => {
    const svg = readFileSync(join(prop, 'compare-const-figures', 'estimates-compared.svg'), 'utf8');
    const points = markLabels(svg, 'estimates');
    const want = [estimatesOf(prop), estimatesOf(constant)].flatMap((e) => e.estimates.map((r) => r.estimate)).sort((x, y) => x - y);
    expect(points.map((l) => value(l, 'estimate')).sort((x, y) => x - y).map((v, k) => v / want[k]!)).toEqual(want.map(() => expect.closeTo(1, 9)));
    const withCi = [estimatesOf(prop), estimatesOf(constant)].flatMap((e) => e.estimates.filter((r) => r.ciLower !== null));
    expect(markLabels(svg, 'intervals')).toHaveLength(withCi.length);
  });

  it('gives the ΔOFV its Monte-Carlo error √(se_a² + se_b²) when the fits report one, and says when there is no ΔOFV', () => {
    const copy = (from: string, name: string, edit: (e: Record<string, unknown>) => void) => {
      const to = join(dir, name, 'run.fit');
      cpSync(from, to, { recursive: true });
      const e = JSON.parse(readFileSync(join(to, 'estimates.json'), 'utf8'));
      edit(e);
      writeFileSync(join(to, 'estimates.json'), JSON.stringify(e));
      return to;
    };
    const mc = (se: number) => (e: Record<string, unknown>) => void Object.assign(e['likelihood'] as object, { mcError: se, estimator: 'laplace' });
    const a = copy(prop, 'x', mc(0.3));
    const b = copy(constant, 'y', mc(0.4));
    const c = compareFits(a, b);
    expect([c.a.label, c.b.label]).toEqual(['A', 'B']);
    expect(c.deltaOfv!.mcError).toBeCloseTo(0.5, 12);
    expect(c.deltaOfv!.value).toBeCloseTo(estimatesOf(constant).likelihood!.minus2LL - estimatesOf(prop).likelihood!.minus2LL, 9);
    expect(deltaOfvSentence(c)).toContain('± 0.50 (Monte-Carlo SE)');
    const none = copy(constant, 'z', (e) => {
      e['likelihood'] = null;
      delete e['maximumLikelihood'];
    });
    const d = compareFits(a, none);
    expect(d.deltaOfv).toBeUndefined();
    expect(d.notes.join('\n')).toMatch(/reports no −2LL/);
  });
});
