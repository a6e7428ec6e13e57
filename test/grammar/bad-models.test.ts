/**
 * The malformed-model corpus: every `bad/NNN-name.nlm` holds a small model with one specific mistake (a few hold
 * several, to show that every error in a file is reported), and `bad/NNN-name.expected` lists the diagnostics the
 * compiler must give for it, one per line, as `CODE LINE:COLUMN message`.
 *
 * Run with UPDATE_GOLDEN=1 to rewrite the .expected files from the compiler's current output (then review the diff:
 * an .expected file records what the compiler should say, not merely what it says today).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { compile, type CompileResult } from '../../compiler/pipeline.js';

const dir = fileURLToPath(new URL('./bad', import.meta.url));
const update = process.env['UPDATE_GOLDEN'] === '1';
const models = readdirSync(dir).filter((f) => f.endsWith('.nlm')).sort();

function format(d: Diagnostic): string {
  return `${d.code} ${d.range.start.line}:${d.range.start.column} ${d.message}`;
}

function readExpected(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').map((l) => l.trimEnd()).filter((l) => l.length > 0);
}

describe('malformed models', () => {
  it('the corpus is present and every model has an .expected file', () => {
    expect(models.length).toBeGreaterThanOrEqual(45);
    const files = new Set(readdirSync(dir));
    const missing = models.filter((m) => !files.has(m.replace(/\.nlm$/, '.expected')));
    if (!update) expect(missing).toEqual([]);
    const orphans = [...files].filter((f) => f.endsWith('.expected') && !files.has(f.replace(/\.expected$/, '.nlm')));
    expect(orphans).toEqual([]);
  });

  for (const file of models) {
    it(file, () => {
      const source = readFileSync(join(dir, file), 'utf8');
      let result: CompileResult | undefined;
      let thrown: unknown;
      try {
        result = compile(source);
      } catch (e) {
        thrown = e;
      }
      // A user's mistake is a diagnostic, never an exception with a stack trace.
      expect(thrown instanceof Error ? thrown.stack : thrown).toBeUndefined();
      const actual = result!.diagnostics.map(format);
      const expectedPath = join(dir, file.replace(/\.nlm$/, '.expected'));
      if (update) writeFileSync(expectedPath, actual.length > 0 ? `${actual.join('\n')}\n` : '');
      expect(actual.length, 'a malformed model must produce at least one diagnostic').toBeGreaterThan(0);
      if (!update) expect(actual).toEqual(readExpected(expectedPath));
    });
  }
});
