/** Reading a user's file for a command: the text, or a one-line message (and undefined) when it cannot be read. */
import { readFileSync } from 'node:fs';

export function readInput(path: string, stderr: (s: string) => void): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    stderr(`nlmc: cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
    return undefined;
  }
}
