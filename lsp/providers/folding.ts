/** Folding: blocks (keeping the closing brace visible), runs of comment lines, statements that span lines. */
import { FoldingRangeKind, type FoldingRange } from 'vscode-languageserver';
import type { Analysis } from '../analysis.js';

export function foldingRanges(analysis: Analysis): FoldingRange[] {
  const { ast, tokens } = analysis.result;
  const doc = analysis.document;
  const line = (offset: number): number => doc.positionAt(offset).line;
  const out: FoldingRange[] = [];
  for (const b of ast.blocks) {
    const start = line(b.keywordRange.start.offset);
    const end = line(Math.max(b.range.start.offset, b.range.end.offset - 1)) - 1;
    if (end > start) out.push({ startLine: start, endLine: end });
  }
  const statements = [...ast.parameters, ...ast.errorParameters, ...ast.constants, ...ast.states, ...ast.ode, ...ast.dosing, ...ast.observations];
  for (const s of statements) {
    const start = line(s.range.start.offset);
    const end = line(Math.max(s.range.start.offset, s.range.end.offset - 1));
    if (end > start) out.push({ startLine: start, endLine: end });
  }
  // Runs of two or more lines that hold only a comment.
  let run: [number, number] | undefined;
  const flush = (): void => {
    if (run && run[1] > run[0]) out.push({ startLine: run[0], endLine: run[1], kind: FoldingRangeKind.Comment });
    run = undefined;
  };
  const firstOnLine = new Map<number, string>();
  for (const t of tokens) {
    const l = (t.startLine ?? 1) - 1;
    if (!firstOnLine.has(l)) firstOnLine.set(l, t.tokenType.name);
  }
  for (const [l, first] of [...firstOnLine].sort((a, b) => a[0] - b[0])) {
    if (first !== 'Comment') {
      flush();
      continue;
    }
    if (run && run[1] === l - 1) run[1] = l;
    else {
      flush();
      run = [l, l];
    }
  }
  flush();
  return out;
}
