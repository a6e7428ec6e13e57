/**
 * What a fit left in its run folder, as a batch (study, bootstrap) reads it: the estimates, whether an earlier
 * run of the same model on the same data finished (so it is reused), and why a fit failed, from its log.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../../infer/fit-file.js';
import type { ReplicateRow } from '../study.js';

export interface FitResult {
  readonly complete: boolean;
  readonly rows: ReplicateRow[];
  readonly minus2LL: number | null;
  /** The uncertainty step's messages (an information not positive definite, …). */
  readonly messages: string[];
  /** Why the fit stopped, in words (fit.json's message). */
  readonly stop: string | null;
}

export function readEstimates(dir: string): FitResult | undefined {
  try {
    const e = JSON.parse(readFileSync(join(dir, 'estimates.json'), 'utf8')) as { complete: boolean; message?: string; estimates: ReplicateRow[]; likelihood: { minus2LL: number } | null; uncertainty: { messages: string[] } | null };
    return { complete: e.complete, rows: e.estimates, minus2LL: e.likelihood?.minus2LL ?? null, messages: e.uncertainty?.messages ?? [], stop: e.message ?? null };
  } catch {
    return undefined;
  }
}

/** A finished fit of the same model source and data, kept from an earlier run of the batch. */
export function earlierFit(fitDir: string, source: string, dataText: string): boolean {
  try {
    const fit = JSON.parse(readFileSync(join(fitDir, 'fit.json'), 'utf8')) as { complete: boolean; model: { sha256: string }; data: { sha256: string } };
    return fit.complete && fit.model.sha256 === sha256(source) && fit.data.sha256 === sha256(dataText) && readEstimates(fitDir)?.complete === true;
  } catch {
    return false;
  }
}

/**
 * Why a fit failed, in one line: the last error line of its log (`nlmc: …`, `… error …`), else its last line, else
 * the exit code. Colour codes are stripped; file paths stay, so the line can be looked up.
 */
export function failureReason(log: string, code: number, reason?: string): string {
  if (reason) return reason;
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    return `exited with code ${code}, no log`;
  }
  const lines = text.replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const error = [...lines].reverse().find((l) => /\berror\b|^nlmc\b|Error:/.test(l));
  return error ?? lines.at(-1) ?? `exited with code ${code}`;
}
