/**
 * Data a fit must not accept silently (reproducers in test/fixtures/repro/data): no usable observations, absurd
 * values that make the predictions or the likelihood non-finite — refused before training, naming subject and
 * row — and no NaN or Infinity in an output table when a trajectory fails anyway.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runFit, type FitArgs } from '../../cli/commands/fit.js';
import { compile } from '../../compiler/pipeline.js';
import { readDataset, requirementsFromIr } from '../../runtime/data/index.js';
import { preflightLines } from '../../runtime/infer/preflight.js';
import { nonFinitePredictionSubjects, predictionsCsv } from '../../runtime/report/fit-outputs.js';

const fixtures = fileURLToPath(new URL('../fixtures/repro/data/', import.meta.url));

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s), isTty: false } };
}

const fitArgs = (data: string, out: string, extra: Partial<FitArgs> = {}): FitArgs => ({
  model: 'examples/pk/pk.nlm', data, out, backend: 'cpu', seed: 1, epochs: 3, samples: 4, learningRate: 0.05, validation: 0, patience: 100,
  resume: false, progress: 'quiet', map: {}, color: false, uncertainty: false, ...extra,
});

describe('a fit refuses data it cannot use', () => {
  it.each([
    ['22_all_dv_missing.csv', /no observations to fit \(60 observation rows have a missing DV\); nothing was fitted/],
    ['45_all_mdv1.csv', /no observations to fit \(60 rows are MDV=1 or EVID=2\); nothing was fitted/],
  ])('%s: exit 1, a message, no run folder', async (file, message) => {
    const out = join(mkdtempSync(join(tmpdir(), 'nlmc-noobs-')), 'run');
    const { io, out: text } = capture();
    expect(await runFit(fitArgs(join(fixtures, file), out), io, () => false)).toBe(1);
    expect(text.stderr).toMatch(message);
    // The per-row warnings (no observations for ID …, DV missing) are counted, not listed.
    expect(text.stderr).not.toMatch(/warning D3/);
    expect(text.stderr).toMatch(/: \d+ warnings not shown; they are about the rows without observations\n$/);
    expect(existsSync(out)).toBe(false);
  });

  it('TIME = 1e308 and DV = 1e308: exit 1, naming the subject, the row and the value', async () => {
    for (const [file, message] of [
      ['40_time_1e308.csv', /40_time_1e308\.csv:7: error: ID 1 \(row 7\): TIME = 1e\+308 is far beyond the other subjects' times \(at most 10\)/],
      ['18_dv_1e308.csv', /18_dv_1e308\.csv:5: error: ID 1 \(row 5, TIME = 2\.498006763\): DV = 1e\+308 against the prediction 1\.69\d+ \(sd 0\.2\) makes the likelihood non-finite/],
    ] as const) {
      const out = join(mkdtempSync(join(tmpdir(), 'nlmc-absurd-')), 'run');
      const { io, out: text } = capture();
      expect(await runFit(fitArgs(join(fixtures, file), out, { epochs: 100_000 }), io, () => false)).toBe(1);
      expect(text.stderr).toMatch(message);
      expect(text.stderr).toMatch(/1 subject cannot be fitted \(every sample would fail\); fix or remove that row; nothing was fitted/);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('AMT = 1e308, WT = 0 (theophylline): exit 1, naming the subject, the row, the column and the range of the others', async () => {
    const lines = readFileSync('examples/theophylline/data.csv', 'utf8').trim().split('\n');
    const header = lines[0]!.split(',').map((h) => h.replace(/"/g, ''));
    const [id, amt, wt] = ['ID', 'AMT', 'WT'].map((c) => header.indexOf(c));
    const edit = (subject: string, column: number, value: (old: string) => string): string =>
      `${[lines[0]!, ...lines.slice(1).map((l) => {
        const f = l.split(',');
        if (f[id!] === subject) f[column!] = value(f[column!]!);
        return f.join(',');
      })].join('\n')}\n`;
    const dir = mkdtempSync(join(tmpdir(), 'nlmc-theo-bad-'));
    writeFileSync(join(dir, 'amt.csv'), edit('1', amt!, (v) => (v === '0' ? v : '1e308')));
    writeFileSync(join(dir, 'wt.csv'), edit('2', wt!, () => '0'));
    for (const [file, message] of [
      ['amt.csv', /amt\.csv:2: error: ID 1 \(row 2\): AMT = 1e\+308 is far beyond the other doses \(at most 320\.1\); the trajectory at the initial estimates failed: the state became NaN or infinite/],
      ['wt.csv', /wt\.csv:14: error: ID 2 \(row 14\): WT = 0, where the other subjects have 54\.6 to 86\.4; the trajectory at the initial estimates failed/],
    ] as const) {
      const { io, out: text } = capture();
      const args = { ...fitArgs(join(dir, file), join(dir, `run-${file}`), { epochs: 100_000 }), model: 'examples/theophylline/theophylline.nlm' };
      expect(await runFit(args, io, () => false)).toBe(1);
      expect(text.stderr).toMatch(message);
      expect(existsSync(join(dir, `run-${file}`))).toBe(false);
    }
  });

  it('a model that fails at the initial estimates: a warning per subject before training, no NaN in the tables', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nlmc-blowup-'));
    writeFileSync(join(dir, 'blowup.nlm'), 'model blowup\nparameters { k = 1 lognormal(omega = 0.1) }\nstates { X(0) = 1 }\node { d/dt X = k * X^2 }\nobserve { y ~ normal(X, sd = s) }\nerror { s = 1 }\n');
    writeFileSync(join(dir, 'data.csv'), 'ID,TIME,DV\n1,0.5,2\n1,2,3\n2,0.5,2\n2,2,3\n');
    const { io, out: text } = capture();
    expect(await runFit({ ...fitArgs(join(dir, 'data.csv'), join(dir, 'run')), model: join(dir, 'blowup.nlm') }, io, () => false)).toBe(3);
    // Subjects failing for the same reason share one line.
    expect(text.stderr).toMatch(/data\.csv: warning: IDs 1, 2 \(2 subjects\): the trajectory at the initial estimates failed: the step size fell below its minimum/);
    expect(text.stderr).toMatch(/warning: the predictions of IDs 1, 2 are not all finite .*; those cells of predictions\.csv are empty/);
    for (const f of ['predictions.csv', 'individual.csv', 'trace.csv', 'estimates.csv']) expect(readFileSync(join(dir, 'run', f), 'utf8')).not.toMatch(/NaN|Infinity/);
  });

  it('preflight lines: a shared reason is one line with the subjects, at most 10 named, at most 10 lines', () => {
    const many = Array.from({ length: 25 }, (_, k) => ({ subject: String(k + 1), row: 0, fatal: false, message: `ID ${k + 1}: slow`, reason: 'slow' }));
    const lines = preflightLines([...many, { subject: '99', row: 7, fatal: true, message: 'ID 99 (row 7): bad' }]);
    expect(lines).toEqual([
      { line: 'IDs 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 15 more (25 subjects): slow', row: 0, fatal: false },
      { line: 'ID 99 (row 7): bad', row: 7, fatal: true },
    ]);
    const distinct = Array.from({ length: 12 }, (_, k) => ({ subject: String(k), row: k + 2, fatal: true, message: `ID ${k}: row ${k + 2}` }));
    const shown = preflightLines(distinct);
    expect(shown).toHaveLength(11);
    expect(shown[10]!.line).toBe('… and 2 more');
  });

  it('predictions.csv: a non-finite value is an empty cell, and its subject is named', () => {
    const compiled = compile(readFileSync('examples/pk/pk.nlm', 'utf8'));
    const ir = compiled.ir!;
    const read = readDataset('ID,TIME,DV\n7,1,2\n8,1,3\n', 'd.csv', requirementsFromIr(ir));
    const predictions = [
      { subject: 0, time: 1, output: 0, dv: 2, pred: 1.5, ipred: 1.6, iwres: 2 },
      { subject: 1, time: 1, output: 0, dv: 3, pred: NaN, ipred: Infinity, iwres: -Infinity },
    ];
    const csv = predictionsCsv(ir, read.dataset!, predictions);
    expect(csv).toBe('ID,TIME,OUTPUT,DV,PRED,IPRED,IWRES\n7,1,y,2,1.5,1.6,2\n8,1,y,3,,,\n');
    expect(nonFinitePredictionSubjects(read.dataset!, predictions)).toEqual(['8']);
  });
});

describe('what a fit says about bad data', () => {
  it('a fatal error (no DV column) is not followed by dozens of warnings: they are counted', async () => {
    const { io, out: text } = capture();
    expect(await runFit(fitArgs(join(fixtures, '12_missing_dv.csv'), join(mkdtempSync(join(tmpdir(), 'nlmc-nodv-')), 'run')), io, () => false)).toBe(1);
    const lines = text.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/12_missing_dv\.csv:1: error D102: no DV column/);
    expect(lines[1]).toMatch(/12_missing_dv\.csv: 61 warnings not shown; fix the error first$/);
  });

  it('a UTF-16 data file is read, and the encoding named', async () => {
    const { io, out: text } = capture();
    expect(await runFit(fitArgs(join(fixtures, '33_utf16.csv'), join(mkdtempSync(join(tmpdir(), 'nlmc-utf16-')), 'run'), { epochs: 2 }), io, () => false)).toBe(0);
    expect(text.stderr).toMatch(/^nlmc: note: .*33_utf16\.csv is UTF-16 \(little-endian\); read as such/);
    expect(text.stderr).toMatch(/33_utf16\.csv: 10 subjects, 60 observations/);
  });
});
