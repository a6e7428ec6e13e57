/**
 * individual.csv's columns (runtime/report/fit-outputs.ts): ebe_ (q's mean) and sd_ for every family, and mode_
 * only when q carries a mode distinct from its mean (the flow family); the mean stays the ebe_ column that the
 * evaluation reads back (runtime/evaluate/stored.ts).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import type { Dataset } from '../../runtime/data/dataset.js';
import { readEbes } from '../../runtime/evaluate/stored.js';
import type { SubjectPosterior } from '../../runtime/infer/posterior.js';
import { individualCsv } from '../../runtime/report/fit-outputs.js';

const ir = compile(readFileSync(new URL('../fixtures/flow/sparse-onecpt.nlm', import.meta.url), 'utf8')).ir!;
const dataset = { ids: ['a', 'b'] } as unknown as Dataset;
const subject = (mu: number, sd: number, k: number, mode?: number): SubjectPosterior => ({
  mu: Float64Array.of(mu), sd: Float64Array.of(sd), p: Float64Array.of(k), ...(mode === undefined ? {} : { mode: Float64Array.of(mode) }),
});

describe('individual.csv', () => {
  it('Gaussian q: ebe_ and sd_, no mode_ column', () => {
    const csv = individualCsv(ir, dataset, [subject(0.1, 0.5, 0.33), subject(-0.2, 0.4, 0.25)]);
    expect(csv.split('\n')[0]).toBe('ID,ebe_eta_k,sd_eta_k,k');
  });

  it('flow q: mode_ beside ebe_ (the mean), which the evaluation still reads as the EBE', () => {
    const csv = individualCsv(ir, dataset, [subject(0.1, 0.5, 0.33, 0.4), subject(-0.2, 0.4, 0.25, -0.7)]);
    const [header, a, b] = csv.trim().split('\n');
    expect(header).toBe('ID,ebe_eta_k,sd_eta_k,mode_eta_k,k');
    expect(a!.split(',').map(Number).slice(1)).toEqual([0.1, 0.5, 0.4, 0.33]);
    expect(b!.split(',').map(Number).slice(1)).toEqual([-0.2, 0.4, -0.7, 0.25]);
    const dir = mkdtempSync(join(tmpdir(), 'nlmc-individual-'));
    writeFileSync(join(dir, 'individual.csv'), csv);
    expect(readEbes(dir, ['b', 'a'], ['eta_k'])!.map((v) => v[0])).toEqual([-0.2, 0.1]);
  });
});
