/** Seeded random edits of model text: insertions of plausible and implausible text, deletions, truncations. */
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';

export { mulberry32 as random } from '../support/seeded-random.js';

const snippets = [
  ' ', '\n', '\n\n', '  ', '(', ')', '{', '}', '[', ']', ',', ':', ';', '=', '~', '->', '+', '-', '*', '/', '^', '<', '<=', '==', '!=', '#', '# note\n', '"', '"mg"', "'",
  '%', '&', '|', '!', '$', '\u00a0', '\u200b', '\t', '\r\n', 'é', '😀', '0', '1', '2.5', '1e5', '1e400', '.5', '2k', '-3', 'x', 'k', 'theta1', 'X1', 'sigma', 't', 'pi',
  'model', 'parameters', 'states', 'ode', 'observe', 'error', 'dosing', 'covariates', 'constants', 'fixed', 'in', 'if', 'then', 'else', 'and', 'or', 'not',
  'piecewise', 'otherwise', 'sum', 'input', 'dose', 'at', 'd/dt', 'd/dt X1 = ', 'dX/dt', 'lognormal', 'lognormal(omega = 0.3)', 'logitnormal', 'omega', 'effect(',
  'exp(', 'log(', 'hill(', 'mlp(x, hidden = [4])', 'normal(', 'sd = ', 'combined(a = 1, b = 2)', 'censored(left)', 'dvid(2)', 'lag(1)', 'infusion', 'duration(',
  'k = 1\n', 'X(0) = 1\n', 'd/dt X = -k * X\n', 'y ~ normal(X, sd = s)\n', 'parameters { a = 1 }\n', 'ode {', '}\n', 'sum(tau in [1, 2]: tau)', 'piecewise(t < 1: 0, otherwise: 1)',
  'if t < 2 then 1 else 0', '((((((((', '))))))))', '^^^^', '-'.repeat(40), '(1 + '.repeat(30), 'a'.repeat(300),
];

export interface Edit {
  readonly kind: 'insert' | 'delete' | 'truncate' | 'replace';
  /** Start and end offsets in the text before the edit. */
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** One random edit of `text`. */
export function randomEdit(text: string, rand: () => number): Edit {
  const r = rand();
  const at = Math.floor(rand() * (text.length + 1));
  if (r < 0.5) {
    const n = 1 + Math.floor(rand() * 3);
    let insert = '';
    for (let i = 0; i < n; i++) insert += snippets[Math.floor(rand() * snippets.length)]!;
    return { kind: 'insert', start: at, end: at, text: insert };
  }
  if (r < 0.8) {
    const len = 1 + Math.floor(rand() * (rand() < 0.8 ? 8 : 80));
    return { kind: 'delete', start: at, end: Math.min(text.length, at + len), text: '' };
  }
  if (r < 0.9) {
    const len = 1 + Math.floor(rand() * 12);
    return { kind: 'replace', start: at, end: Math.min(text.length, at + len), text: snippets[Math.floor(rand() * snippets.length)]! };
  }
  return { kind: 'truncate', start: at, end: text.length, text: '' };
}

/**
 * Applies the edit to `document` as an incremental protocol change (positions from the document itself, so both sides
 * agree even where an offset falls inside a CRLF) and returns the change, for sending to a server.
 */
export function applyEdit(document: TextDocument, e: Edit, version: number): TextDocumentContentChangeEvent {
  const change = { range: { start: document.positionAt(e.start), end: document.positionAt(e.end) }, text: e.text };
  TextDocument.update(document, [change], version);
  return change;
}
