/**
 * One analysis of one version of a document: the compiler's front end (parse, check, and lowering for W303), never
 * differentiation or emission. Every provider reads this; none parses or checks anything itself.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { compile, type CompileResult } from '../compiler/pipeline.js';

export interface Analysis {
  readonly document: TextDocument;
  readonly text: string;
  readonly version: number;
  readonly result: CompileResult;
  /** Milliseconds the compiler took. */
  readonly ms: number;
}

export function analyze(document: TextDocument): Analysis {
  const text = document.getText();
  const start = performance.now();
  const result = compile(text, { emit: [], stopAfter: 'lower' });
  return { document, text, version: document.version, result, ms: performance.now() - start };
}
