/**
 * `nlmc report <run> [<run2>]`: the run's report (report.html and report-figures/*.svg in the run folder), or —
 * with two runs — the two fits side by side (compare-<b>.html in a's folder). Orchestration is in
 * runtime/report/html/.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { VpcBinning } from '../../runtime/evaluate/vpc-design.js';
import { buildComparison } from '../../runtime/report/html/compare.js';
import { buildReport } from '../../runtime/report/html/report.js';
import { runFolderOf } from '../../runtime/report/html/run-folder.js';
import { writeReport } from '../../runtime/report/html/write.js';

export interface ReportArgs {
  /** One run folder (or fit.json), or two to compare. */
  readonly fits: readonly string[];
  /** The HTML file (default: <run>/report.html, or <a>/compare-<b>.html); figures go to <name>-figures/ beside it. */
  readonly out?: string;
  /** K for the NPDE and VPC (default: automatic, 200 for up to 500 subjects). */
  readonly samples?: number;
  readonly seed: number;
  readonly bins: number;
  /** VPC bins by time (default) or time after dose. */
  readonly binning?: VpcBinning;
  /** A covariate: one VPC panel per stratum. */
  readonly stratify?: string;
  /** Subjects whose individual fits are drawn, at most. */
  readonly subjects: number;
  readonly data?: string;
  readonly map: Record<string, string>;
}

type Io = { stdout: (s: string) => void; stderr: (s: string) => void };

/** The figures folder of an HTML file: report.html → report-figures/. */
export const figuresFolder = (html: string): string => join(dirname(html), `${basename(html).replace(/\.html?$/, '')}-figures`);

function checkArgs(args: ReportArgs): string | undefined {
  if (args.fits.length < 1 || args.fits.length > 2) return 'give one run folder, or two to compare';
  const missing = args.fits.find((f) => !existsSync(f));
  if (missing) return `cannot read ${missing}: no such run folder or fit.json`;
  if (args.samples !== undefined && !(Number.isInteger(args.samples) && args.samples >= 20)) return '--samples takes a whole number ≥ 20';
  if (!(Number.isInteger(args.bins) && args.bins >= 1)) return '--bins takes a whole number ≥ 1';
  if (!(Number.isInteger(args.subjects) && args.subjects >= 1)) return '--subjects takes a whole number ≥ 1';
  if (args.out !== undefined && !/\.html?$/.test(args.out)) return `--out names the HTML file (…/name.html), got ${args.out}`;
  return undefined;
}

/** Exit code: 0 written, 1 bad arguments or an unusable run, 2 no such run folder or dataset. */
export async function runReport(args: ReportArgs, io: Io): Promise<number> {
  const problem = checkArgs(args);
  if (problem) {
    io.stderr(`nlmc report: ${problem}\n`);
    return problem.startsWith('cannot read') ? 2 : 1;
  }
  try {
    if (args.fits.length === 2) {
      const [a, b] = args.fits as [string, string];
      const out = args.out ?? join(runFolderOf(a), `compare-${basename(resolve(runFolderOf(b))).replace(/\.fit$/, '')}.html`);
      const r = await buildComparison(a, b);
      for (const n of r.comparison.notes) io.stderr(`nlmc report: note: ${n}\n`);
      writeReport(out, figuresFolder(out), r.html, r.figures);
      const d = r.comparison.deltaOfv;
      io.stdout(`${d ? `ΔOFV (${r.comparison.b.label} − ${r.comparison.a.label}) ${d.value.toFixed(3)}${d.mcError > 0 ? ` ± ${d.mcError.toPrecision(2)} (MC SE)` : ''}\n` : ''}wrote ${out} and ${figuresFolder(out)}/\n`);
      return 0;
    }
    const fit = args.fits[0]!;
    const out = args.out ?? join(runFolderOf(fit), 'report.html');
    const r = await buildReport(fit, {
      seed: args.seed, bins: args.bins, subjects: args.subjects, map: args.map, ...(args.samples ? { samples: args.samples } : {}), ...(args.data ? { data: args.data } : {}),
      ...(args.binning ? { binning: args.binning } : {}), ...(args.stratify ? { stratify: args.stratify } : {}),
    });
    if (!r.data.run.fit.complete) io.stderr(`nlmc report: warning: the fit did not complete (${r.data.run.fit.message}); its estimates are reported as they are\n`);
    for (const n of r.data.evaluation.notes) io.stderr(`nlmc report: note: ${n}\n`);
    writeReport(out, figuresFolder(out), r.html, r.figures);
    io.stdout(`${r.figures.length} figures (individual fits: ${r.data.shown.rule}; K = ${r.data.samples}); wrote ${out} and ${figuresFolder(out)}/ (${r.seconds.toFixed(1)} s)\n`);
    return 0;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    io.stderr(`nlmc report: ${(err as Error).message}${missing ? ' (the dataset is read from the path fit.json names, relative to where `nlmc fit` ran: give it with --data)' : ''}\n`);
    return missing ? 2 : 1;
  }
}
