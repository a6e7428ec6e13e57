/**
 * `nlmc report` end to end, each figure read back from its SVG and checked against an independent oracle: the
 * test's own data (DV, WT), the closed-form one-compartment solution at the fitted parameters (PRED, IPRED), the
 * tables `nlmc evaluate` writes with the same settings (VPC bands, NPDE), quantiles of the raw data computed here
 * (the observed VPC percentiles), and the run folder's estimates.json and individual.csv.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { runEvaluate } from '../../cli/commands/evaluate.js';
import { runReport } from '../../cli/commands/report.js';
import { fineGridCurves } from '../../runtime/report/html/curves.js';
import { pickSubjects } from '../../runtime/report/html/report-data.js';
import { loadFittedRun } from '../../runtime/uq/fitted-run.js';
import { naturalValues, startsCsv } from '../../runtime/uq/starts.js';
import { capture, concentration, fitModel, simulatedCsv, times } from './fixture.js';
import { fields, markGroups, markLabels, panelTitles, value } from './svg.js';

const dir = mkdtempSync(join(tmpdir(), 'nlmc-report-'));
const SUBJECTS = 30;
const settings = { samples: 60, seed: 3, bins: 5 };
let run: string;
let data: { csv: string; weights: number[] };
/** The observations by DV (each simulated value is distinct): subject (1-based) and time. */
const byDv = new Map<number, { id: number; t: number }>();
let estimates: { estimates: { name: string; estimate: number; se: number | null; fixed: boolean }[] };
let individual: Record<string, string>[];
let startsWant: { elbo: number; values: number[] }[];
let evaluated: { npde: Record<string, string>[]; vpc: Record<string, string>[] };
const svg = (id: string) => readFileSync(join(run, 'report-figures', `${id}.svg`), 'utf8');
const est = (name: string) => estimates.estimates.find((r) => r.name === name)!.estimate;
const csv = (path: string) => parse(readFileSync(path, 'utf8'), { columns: true }) as Record<string, string>[];
const close = (a: number, b: number, rel = 1e-6) => Math.abs(a - b) <= rel * Math.max(1e-9, Math.abs(b));

/** Type-7 sample quantile (R's default), written here as the oracle of the observed VPC percentiles. */
function quantile7(x: number[], p: number): number {
  const s = [...x].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  return s[lo]! + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)] ?? s[lo]!) - s[lo]!);
}

beforeAll(async () => {
  data = simulatedCsv(SUBJECTS, 21);
  writeFileSync(join(dir, 'data.csv'), data.csv);
  for (const line of data.csv.trim().split('\n').slice(1)) {
    const f = line.split(',');
    if (f[4] === '0') byDv.set(Number(f[2]), { id: Number(f[0]), t: Number(f[1]) });
  }
  run = await fitModel(dir, 'prop', 'proportional(b = 0.3)');
  const e = capture();
  expect(await runEvaluate({ fit: run, ...settings, map: {} }, e.io), e.out.stderr).toBe(0);
  evaluated = { npde: csv(join(run, 'npde.csv')), vpc: csv(join(run, 'vpc.csv')) };
  // A convergence assessment as `nlmc fit --starts` writes it (starts.csv): the main fit and two refits whose
  // estimates are the fit's shifted by ±0.1 on the estimation scale.
  const fitted = await loadFittedRun(run);
  const shifted = (d: number) => Float64Array.from(fitted.population, (v) => v + d);
  const runs = [0, 0.1, -0.1].map((d, start) => ({ start, seed: start, initial: shifted(3 * d), population: shifted(d), elbo: -1 - Math.abs(d), epochs: 10, stop: 'max-epochs' as const, seconds: 1 }));
  writeFileSync(join(run, 'starts.csv'), startsCsv(fitted.ctx.ir, fitted.ctx.layout, runs));
  startsWant = runs.map((x) => ({ elbo: x.elbo, values: naturalValues(fitted.ctx.ir, fitted.ctx.layout, x.population) }));
  const r = capture();
  expect(await runReport({ fits: [run], ...settings, subjects: 8, map: {} }, r.io), r.out.stderr).toBe(0);
  expect(r.out.stdout).toMatch(/wrote .*report\.html/);
  estimates = JSON.parse(readFileSync(join(run, 'estimates.json'), 'utf8'));
  individual = csv(join(run, 'individual.csv'));
}, 170_000);

describe('nlmc report: the figures hold the numbers', () => {
  it('DV vs PRED: one point per observation, at the data’s DV and the closed-form PRED of the estimates', () => {
    const labels = markLabels(svg('dv-vs-pred'), 'observations');
    expect(labels).toHaveLength(SUBJECTS * times.length);
    const [CL, V, beta] = [est('CL'), est('V'), est('beta_WT')];
    for (const l of labels) {
      const dv = value(l, 'DV');
      const obs = [...byDv.entries()].find(([k]) => close(k, dv, 1e-9));
      expect(obs, `DV ${dv} is an observation of the data`).toBeDefined();
      const { id, t } = obs![1];
      const WT = data.weights[id - 1]!;
      expect(value(l, 'PRED (η = 0)')).toBeCloseTo(concentration(CL * (WT / 70) ** beta, V, t), 5);
    }
    expect(markLabels(svg('dv-vs-pred'), 'identity')).toHaveLength(1);
  });

  it('DV vs IPRED: IPRED is the closed form at each subject’s individual parameters (individual.csv)', () => {
    const labels = markLabels(svg('dv-vs-ipred'), 'observations');
    expect(labels).toHaveLength(SUBJECTS * times.length);
    for (const l of labels) {
      const { id, t } = [...byDv.entries()].find(([k]) => close(k, value(l, 'DV'), 1e-9))![1];
      const p = individual.find((r) => r['ID'] === String(id))!;
      expect(value(l, 'IPRED (η = EBE)')).toBeCloseTo(concentration(Number(p['CL']), Number(p['V']), t), 5);
    }
  });

  it('VPC: per bin and percentile a band equal to nlmc evaluate’s vpc.csv, and the observed percentiles equal the raw data’s', () => {
    for (const kind of ['vpc', 'pcvpc'] as const) {
      const figure = svg(kind);
      const rows = evaluated.vpc.filter((r) => r['KIND'] === kind);
      const bins = new Set(rows.map((r) => r['BIN'])).size;
      expect(bins).toBe(settings.bins);
      const rects = markLabels(figure, 'simulated-interval');
      expect(rects).toHaveLength(3 * bins);
      expect(markGroups(figure, 'observed-percentile')).toBe(3);
      expect(markGroups(figure, 'simulated-median')).toBe(3);
      const points = markLabels(figure, 'observed-points');
      expect(points).toHaveLength(3 * bins);
      const y = kind === 'vpc' ? 'DV' : 'prediction-corrected DV';
      for (const p of ['0.05', '0.5', '0.95']) {
        const label = `${Math.round(Number(p) * 100)} %`;
        const want = rows.filter((r) => r['PERCENTILE'] === p).sort((a, b) => Number(a['BIN']) - Number(b['BIN']));
        const got = rects.filter((l) => fields(l)['percentile'] === label).sort((a, b) => value(a, 'time') - value(b, 'time'));
        expect(got).toHaveLength(bins);
        want.forEach((w, b) => {
          expect(close(value(got[b]!, y), Number(w['SIM_LOWER']))).toBe(true);
          expect(close(value(got[b]!, 'simUpper'), Number(w['SIM_UPPER']))).toBe(true);
        });
        const observed = points.filter((l) => fields(l)['percentile'] === label).sort((a, b) => value(a, 'timeMedian') - value(b, 'timeMedian'));
        want.forEach((w, b) => {
          expect(close(value(observed[b]!, 'observed'), Number(w['OBSERVED']))).toBe(true);
          if (kind === 'vpc') {
            const inBin = [...byDv.entries()].filter(([, o]) => o.t >= Number(w['TIME_LOWER']) && o.t <= Number(w['TIME_UPPER'])).map(([dv]) => dv);
            expect(inBin).toHaveLength(Number(w['N']));
            expect(close(value(observed[b]!, 'observed'), quantile7(inBin, Number(p)))).toBe(true);
          }
        });
      }
    }
    // The observations behind the VPC.
    expect(markLabels(svg('vpc'), 'observations')).toHaveLength(SUBJECTS * times.length);
  });

  it('NPDE: the QQ plot has every NPDE of nlmc evaluate’s npde.csv; the histogram counts them all', () => {
    const q = markLabels(svg('npde-qq'), 'quantiles').map((l) => value(l, 'NPDE quantile')).sort((a, b) => a - b);
    const npde = evaluated.npde.map((r) => Number(r['NPDE'])).sort((a, b) => a - b);
    expect(q).toHaveLength(npde.length);
    q.forEach((v, k) => expect(v).toBeCloseTo(npde[k]!, 6));
    const bars = markLabels(svg('npde-histogram'), 'histogram');
    const counted = bars.reduce((n, l) => n + value(l, 'density') * npde.length * (value(l, 'hi') - value(l, 'NPDE')), 0);
    expect(counted).toBeCloseTo(npde.length, 6);
    expect(markGroups(svg('npde-histogram'), 'normal-density')).toBe(1);
  });

  it('individual fits: one panel per shown subject with its observations; the IPRED curve is the closed form', async () => {
    const shown = pickSubjects(SUBJECTS, 8).subjects;
    const figure = svg('individual-fits');
    expect(panelTitles(figure)).toEqual(shown.map((i) => `ID ${i + 1}`));
    expect(markLabels(figure, 'observations')).toHaveLength(8 * times.length);
    // IPRED and PRED on the fine grid (the data of those curves) against the closed form.
    const fitted = await loadFittedRun(run);
    const ebes = individual.map((r) => Float64Array.from([Number(r['ebe_eta_CL']), Number(r['ebe_eta_V'])]));
    const sds = individual.map((r) => Float64Array.from([Number(r['sd_eta_CL']), Number(r['sd_eta_V'])]));
    const curves = await fineGridCurves(fitted.ctx, fitted.population, ebes.map((mu, i) => ({ mu, sd: sds[i]! })), shown);
    expect(curves).toHaveLength(8);
    for (const c of curves) {
      const p = individual[c.subject]!;
      const WT = data.weights[c.subject]!;
      expect(c.time.length).toBeGreaterThan(100);
      c.time.forEach((t, j) => {
        // At the dose time itself the prediction is the one before the dose (the NONMEM convention).
        const after = (c: number) => (t > 0 ? c : 0);
        expect(c.ipred[j]!).toBeCloseTo(after(concentration(Number(p['CL']), Number(p['V']), t)), 5);
        expect(c.pred[j]!).toBeCloseTo(after(concentration(est('CL') * (WT / 70) ** est('beta_WT'), est('V'), t)), 5);
      });
    }
  });

  it('individual fits: the prediction band is the residual error’s 90 % interval when η is known, wider when not', async () => {
    const shown = pickSubjects(SUBJECTS, 8).subjects;
    const fitted = await loadFittedRun(run);
    const ebes = individual.map((r) => Float64Array.from([Number(r['ebe_eta_CL']), Number(r['ebe_eta_V'])]));
    const known = await fineGridCurves(fitted.ctx, fitted.population, ebes.map((mu) => ({ mu, sd: new Float64Array(2) })), shown);
    // y = f·(1 + b ε), one ε per draw: the bounds are f·(1 + b·q) with q the 5 % (95 %) sample quantile of the 200
    // ε — one q per subject over its whole grid — whose mean over 8 subjects is ∓1.645 within 0.054 (1 SE).
    const b = est('b');
    const scaled = (c: (typeof known)[number], a: Float64Array) => Array.from(a, (v, j) => (v / c.ipred[j]! - 1) / b).filter((v, j) => Number.isFinite(v) && c.ipred[j]! > 1e-6);
    const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
    for (const [side, z] of [['lower', -1.6449], ['upper', 1.6449]] as const) {
      const q = known.map((c) => scaled(c, c[side]));
      for (const x of q) for (const v of x) expect(v).toBeCloseTo(x[0]!, 6);
      expect(Math.abs(mean(q.map((x) => x[0]!)) - z)).toBeLessThan(0.2);
    }
    const sds = individual.map((r) => Float64Array.from([Number(r['sd_eta_CL']), Number(r['sd_eta_V'])]));
    const uncertain = await fineGridCurves(fitted.ctx, fitted.population, ebes.map((mu, i) => ({ mu, sd: sds[i]! })), shown);
    const width = (cs: typeof known) => mean(cs.flatMap((c) => Array.from(c.upper, (u, j) => (u - c.lower[j]!) / c.ipred[j]!).filter(Number.isFinite)));
    expect(width(uncertain)).toBeGreaterThan(width(known));
    expect(markLabels(svg('individual-fits'), 'prediction-band').length).toBeGreaterThan(0);
  });

  it('EBEs against WT: one panel per random effect, each subject at its weight and its EBE', () => {
    const figure = svg('eta-vs-WT');
    expect(panelTitles(figure)).toEqual(['eta_CL', 'eta_V']);
    const labels = markLabels(figure, 'ebes');
    expect(labels).toHaveLength(2 * SUBJECTS);
    const want = individual.flatMap((r, i) => [[data.weights[i]!, Number(r['ebe_eta_CL'])], [data.weights[i]!, Number(r['ebe_eta_V'])]]).map(([w, e]) => `${w}:${e!.toFixed(6)}`).sort();
    const got = labels.map((l) => `${value(l, 'WT')}:${value(l, 'EBE (η)').toFixed(6)}`).sort();
    expect(got).toEqual(want);
  });

  it('convergence: the ELBO trace and one panel per estimated parameter, with the reported estimate', () => {
    const fit = JSON.parse(readFileSync(join(run, 'fit.json'), 'utf8'));
    const elbo = markLabels(svg('elbo-trace'), 'elbo');
    expect(elbo.length).toBeGreaterThanOrEqual(1);
    expect(value(elbo[0]!, 'epoch')).toBe(fit.trace[0].epoch);
    expect(value(elbo[0]!, 'ELBO')).toBeCloseTo(fit.trace[0].elbo, 6);
    const free = estimates.estimates.filter((r) => !r.fixed);
    const figure = svg('parameter-traces');
    expect(panelTitles(figure).sort()).toEqual(free.map((r) => r.name).sort());
    const reported = markLabels(figure, 'reported').map((l) => value(l, 'estimate')).sort((a, b) => a - b);
    expect(reported).toHaveLength(free.length);
    free.map((r) => r.estimate).sort((a, b) => a - b).forEach((v, k) => expect(reported[k]!).toBeCloseTo(v, 8));
  });

  it('convergence assessment: each run of starts.csv at its estimate and ELBO, one panel per population parameter', () => {
    const figure = svg('starts');
    const names = JSON.parse(readFileSync(join(run, 'fit.json'), 'utf8')).population.names as string[];
    expect(panelTitles(figure)).toEqual(names);
    const labels = markLabels(figure, 'starts');
    expect(labels).toHaveLength(3 * names.length);
    const got = labels.map((l) => `${value(l, 'estimate').toPrecision(8)}@${value(l, 'ELBO')}`).sort();
    const want = startsWant.flatMap((x) => x.values.map((v) => `${v.toPrecision(8)}@${x.elbo}`)).sort();
    expect(got).toEqual(want);
  });
});

describe('nlmc report: the page', () => {
  it('is one self-contained file: every figure inline, no script, nothing to fetch', () => {
    const html = readFileSync(join(run, 'report.html'), 'utf8');
    const files = readdirSync(join(run, 'report-figures')).filter((f) => f.endsWith('.svg'));
    expect(files.sort()).toEqual(['dv-vs-ipred', 'dv-vs-pred', 'elbo-trace', 'eta-vs-WT', 'individual-fits', 'iwres-vs-ipred', 'iwres-vs-time', 'npde-histogram', 'npde-qq', 'npde-vs-pred', 'npde-vs-time', 'parameter-traces', 'pcvpc', 'starts', 'vpc'].map((f) => `${f}.svg`));
    expect([...html.matchAll(/<figure /g)]).toHaveLength(files.length);
    for (const f of files) expect(html).toContain(readFileSync(join(run, 'report-figures', f), 'utf8').replace(/^<\?xml[^>]*>\n/, '').trim());
    expect(html).not.toMatch(/<script|<link rel="stylesheet"|<img |<iframe|@import|url\(/i);
    for (const m of html.matchAll(/(?:src|href)="([^"]*)"/g)) expect(m[1]).toMatch(/^(#|data:)/);
    expect(html).toContain("default-src 'none'");
  });

  it('has the parameter table with SE/RSE/CI and the likelihood block of estimates.json', () => {
    const html = readFileSync(join(run, 'report.html'), 'utf8');
    const full = JSON.parse(readFileSync(join(run, 'estimates.json'), 'utf8'));
    for (const r of full.estimates) {
      expect(html).toContain(`<td>${r.name}</td>`);
      if (r.se !== null) expect(html).toContain(`<td>${r.se.toPrecision(3)}</td>`);
      if (r.rse !== null) expect(html).toContain(`<td>${r.rse.toFixed(1)}</td>`);
    }
    expect(html).toContain(`<td>${full.likelihood.minus2LL.toPrecision(7)}</td>`);
    expect(html).toContain(`<td>${full.likelihood.aic.toPrecision(7)}</td>`);
    expect(html).toContain(`8 of ${SUBJECTS} subjects`);
  });

  it('refuses what it cannot use, with a message and a non-zero exit', async () => {
    const cases: [Parameters<typeof runReport>[0], number, RegExp][] = [
      [{ fits: [join(dir, 'nothing.fit')], seed: 1, bins: 5, subjects: 4, map: {} }, 2, /no such run folder/],
      [{ fits: [run], samples: 5, seed: 1, bins: 5, subjects: 4, map: {} }, 1, /--samples takes a whole number ≥ 20/],
      [{ fits: [run], seed: 1, bins: 0, subjects: 4, map: {} }, 1, /--bins/],
      [{ fits: [run], seed: 1, bins: 5, subjects: 0, map: {} }, 1, /--subjects/],
      [{ fits: [run], seed: 1, bins: 5, subjects: 4, out: join(dir, 'x.svg'), map: {} }, 1, /--out names the HTML file/],
      [{ fits: [run, run, run], seed: 1, bins: 5, subjects: 4, map: {} }, 1, /one run folder, or two/],
      [{ fits: [dir], seed: 1, bins: 5, subjects: 4, map: {} }, 1, /estimates\.json: no such file/],
      [{ fits: [run], seed: 1, bins: 5, subjects: 4, data: join(dir, 'missing.csv'), map: {} }, 2, /give it with --data/],
    ];
    for (const [args, rc, message] of cases) {
      const c = capture();
      expect(await runReport(args, c.io)).toBe(rc);
      expect(c.out.stderr).toMatch(message);
    }
    expect(existsSync(join(dir, 'x.svg'))).toBe(false);
  });
});
