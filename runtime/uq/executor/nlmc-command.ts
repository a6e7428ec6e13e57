/**
 * How to start `nlmc` again in another process (a local worker, a Slurm task): this Node with the built CLI, or
 * the TypeScript one through tsx when running from source. Absolute paths, so a task started elsewhere — a cluster
 * node that sees the same file system — runs the same program.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export function nlmcCommand(): string[] {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith('.ts');
  const main = join(dirname(here), '..', '..', '..', 'cli', fromSource ? 'main.ts' : 'main.js');
  const program = fromSource ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, main] : [main];
  return [process.execPath, ...program];
}
