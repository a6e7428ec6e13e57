/**
 * Reading a user's file for a command: the text, or a one-line message (and undefined) when it cannot be read.
 *
 * UTF-8 is expected. A UTF-16 file (with a byte-order mark, or without one but recognisable by its NUL bytes, as
 * spreadsheet programs write "Unicode text") is decoded, and a note says so — it used to be read as UTF-8, NUL
 * bytes and all, into baffling "no ID column" errors. Other files with NUL bytes are not text: refused, saying so.
 */
import { readFileSync } from 'node:fs';

export type InputEncoding = 'utf8' | 'utf16le' | 'utf16be';

/** The encoding of `bytes` and where the text starts (after a byte-order mark), or 'binary'. */
export function detectEncoding(bytes: Uint8Array): { encoding: InputEncoding; skip: number; bom: boolean } | 'binary' {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf16le', skip: 2, bom: true };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf16be', skip: 2, bom: true };
  const head = bytes.subarray(0, 4096);
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < head.length; i++) if (head[i] === 0) (i % 2 === 0 ? evenZeros++ : oddZeros++);
  if (evenZeros + oddZeros === 0) return { encoding: 'utf8', skip: 0, bom: false };
  const pairs = Math.floor(head.length / 2);
  // ASCII text in UTF-16: (nearly) every other byte is NUL.
  if (oddZeros >= 0.9 * pairs && evenZeros === 0) return { encoding: 'utf16le', skip: 0, bom: false };
  if (evenZeros >= 0.9 * pairs && oddZeros === 0) return { encoding: 'utf16be', skip: 0, bom: false };
  return 'binary';
}

function decode(bytes: Buffer, encoding: InputEncoding, skip: number): string {
  if (encoding === 'utf8') return bytes.toString('utf8');
  const end = skip + Math.floor((bytes.length - skip) / 2) * 2; // an odd last byte is no character
  const body = Buffer.from(bytes.subarray(skip, end));
  if (encoding === 'utf16be') body.swap16();
  return body.toString('utf16le');
}

export function readInput(path: string, stderr: (s: string) => void): string | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    stderr(`nlmc: cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
    return undefined;
  }
  const found = detectEncoding(bytes);
  if (found === 'binary') {
    stderr(`nlmc: cannot read ${path}: it is not a text file (it contains NUL bytes); save it as UTF-8 text\n`);
    return undefined;
  }
  if (found.encoding !== 'utf8') {
    const name = found.encoding === 'utf16le' ? 'UTF-16 (little-endian)' : 'UTF-16 (big-endian)';
    stderr(`nlmc: note: ${path} is ${name}${found.bom ? '' : ' without a byte-order mark'}; read as such (UTF-8 is expected)\n`);
  }
  return decode(bytes, found.encoding, found.skip);
}
