/**
 * `nlmc fmt model.nlm... [--check] [--write]`: the formatter of `grammar/format.ts`, which the language server also
 * uses. Without a flag the formatted text goes to stdout; `--check` lists the files that would change; `--write`
 * rewrites them in place.
 */
import { readFileSync } from 'node:fs';
import { formatModel } from '../../grammar/format.js';
import { renderDiagnostics } from '../../diagnostics/render.js';
import { writeFileAtomic } from '../../runtime/data/write-atomic.js';

export interface FmtArgs {
  readonly files: readonly string[];
  readonly check: boolean;
  readonly write: boolean;
  readonly color: boolean;
}

/**
 * Exit code: 0 when every file was formatted (or, with --check, is formatted already); 1 when a file has syntax errors
 * or, with --check, would change; 2 when a file cannot be read.
 */
export function runFmt(args: FmtArgs, io: { stdout: (s: string) => void; stderr: (s: string) => void }): number {
  let code = 0;
  for (const file of args.files) {
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch (e) {
      io.stderr(`nlmc: cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
      code = 2;
      continue;
    }
    const result = formatModel(source);
    if (!result.ok) {
      io.stderr(result.diagnostics.length > 0 ? renderDiagnostics(result.diagnostics, file, source, { color: args.color }) : '');
      io.stderr(`nlmc fmt: ${file} not formatted: ${result.reason}\n`);
      code = Math.max(code, 1);
      continue;
    }
    if (args.check) {
      if (result.changed) {
        io.stdout(`${file}: not formatted\n`);
        code = Math.max(code, 1);
      }
      if (!args.write) continue;
    }
    if (args.write) {
      if (result.changed) {
        writeFileAtomic(file, result.text);
        io.stdout(`formatted ${file}\n`);
      }
      continue;
    }
    io.stdout(result.text);
  }
  return code;
}
