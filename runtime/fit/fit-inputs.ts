/** The fit's inputs checked before anything is trained: the model compiled, the dataset read, the run to resume. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, RUNTIME_EMIT } from '../../compiler/pipeline.js';
import { hasErrors } from '../../diagnostics/diagnostic.js';
import { renderDiagnostics } from '../../diagnostics/render.js';
import { formatIssue, hasDataErrors, readDataset, requirementsFromIr } from '../data/index.js';
import { parseFitFile, type FitFile } from '../infer/fit-file.js';
import type { FitIo, FitRequest, FitTexts } from './fit-request.js';

/** The compiled model and the read dataset, or the exit code after the messages (1: errors, 2: unreadable data). */
export function checkedInputs(args: FitRequest, texts: FitTexts, io: FitIo) {
  const source = texts.model;
  const compiled = compile(source, { emit: RUNTIME_EMIT });
  const report = renderDiagnostics(compiled.diagnostics, args.model, source, { color: args.color });
  if (report) io.stderr(report);
  if (hasErrors(compiled.diagnostics) || !compiled.ir) return 1;
  const ir = compiled.ir;
  const dataText = texts.data();
  if (dataText === undefined) return 2;
  const read = readDataset(dataText, args.data, requirementsFromIr(ir), { map: args.map });
  // With errors, only the errors: the warnings are mostly their echoes (no DV column: every row "has no DV").
  const noObservations = read.dataset !== undefined && read.summary.observations === 0;
  const fatal = !read.dataset || hasDataErrors(read.issues) || noObservations;
  const shown = fatal ? read.issues.filter((i) => i.severity === 'error') : read.issues;
  for (const issue of shown) io.stderr(`${formatIssue(issue, args.data)}\n`);
  if (fatal) {
    if (noObservations && shown.length === 0) {
      const why = [
        read.summary.missingDv > 0 ? `${read.summary.missingDv} observation row${read.summary.missingDv === 1 ? ' has' : 's have'} a missing DV` : '',
        read.summary.otherRows > 0 ? `${read.summary.otherRows} row${read.summary.otherRows === 1 ? ' is' : 's are'} MDV=1 or EVID=2` : '',
      ].filter((x) => x).join(', ');
      io.stderr(`nlmc fit: ${args.data}: no observations to fit${why ? ` (${why})` : ''}; nothing was fitted\n`);
    }
    const hidden = read.issues.length - shown.length;
    if (hidden > 0) io.stderr(`nlmc fit: ${args.data}: ${hidden} warning${hidden === 1 ? '' : 's'} not shown; ${shown.length > 0 ? `fix the error${shown.length === 1 ? '' : 's'} first` : 'they are about the rows without observations'}\n`);
    return 1;
  }
  return { source, compiled, ir, read: { ...read, dataset: read.dataset! }, dataText };
}

/** The run to resume (--resume), none, or 1 after the message (no fit.json, unreadable, or the model changed). */
export function previousRun(args: FitRequest, outDir: string, source: string, io: FitIo): FitFile | undefined | 1 {
  if (!args.resume) return undefined;
  const path = join(outDir, 'fit.json');
  if (!existsSync(path)) {
    io.stderr(`nlmc fit --resume: no ${path} to resume from\n`);
    return 1;
  }
  let previousFit: FitFile;
  try {
    previousFit = parseFitFile(readFileSync(path, 'utf8'), path);
  } catch (e) {
    io.stderr(`nlmc fit --resume: ${(e as Error).message}\n`);
    return 1;
  }
  if (previousFit.model.source !== source) {
    io.stderr(`nlmc fit --resume: ${args.model} changed since ${path} was written; fit it afresh\n`);
    return 1;
  }
  return previousFit;
}

