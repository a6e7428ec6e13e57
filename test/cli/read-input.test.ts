/**
 * Input files in UTF-16 (with or without a byte-order mark) are decoded and the encoding is named; a binary file
 * is refused, saying so (test/fixtures/repro/data/33_utf16.csv once gave "no ID column" with NUL bytes echoed).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectEncoding, readInput } from '../../runtime/data/read-input.js';

const utf16 = fileURLToPath(new URL('../fixtures/repro/data/33_utf16.csv', import.meta.url));

describe('readInput', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nlmc-enc-'));
  const text = 'ID,TIME,DV\n1,0,2.5 µg\n';
  const read = (bytes: Buffer): { text: string | undefined; stderr: string } => {
    const path = join(dir, `f${Math.random()}.csv`);
    writeFileSync(path, bytes);
    let stderr = '';
    const t = readInput(path, (s) => void (stderr += s));
    return { text: t, stderr: stderr.replace(path, 'F') };
  };

  it('the UTF-16 reproducer: decoded, with a note naming the encoding', () => {
    let stderr = '';
    const t = readInput(utf16, (s) => void (stderr += s));
    expect(stderr).toBe(`nlmc: note: ${utf16} is UTF-16 (little-endian); read as such (UTF-8 is expected)\n`);
    expect(t!.split('\n')[0]).toBe('ID,TIME,DV,MDV,EVID,AMT,CMT');
    expect(t).not.toMatch(/\0|\uFFFD/);
    expect(readFileSync(utf16).includes(0)).toBe(true);
  });

  it('UTF-8 unchanged and silent; UTF-16 LE/BE with and without a byte-order mark decoded; binary refused', () => {
    expect(read(Buffer.from(text, 'utf8'))).toEqual({ text, stderr: '' });
    const le = Buffer.from(text, 'utf16le');
    const be = Buffer.from(le).swap16();
    expect(read(Buffer.concat([Buffer.from([0xff, 0xfe]), le]))).toEqual({ text, stderr: 'nlmc: note: F is UTF-16 (little-endian); read as such (UTF-8 is expected)\n' });
    expect(read(Buffer.concat([Buffer.from([0xfe, 0xff]), be]))).toEqual({ text, stderr: 'nlmc: note: F is UTF-16 (big-endian); read as such (UTF-8 is expected)\n' });
    expect(read(le)).toEqual({ text, stderr: 'nlmc: note: F is UTF-16 (little-endian) without a byte-order mark; read as such (UTF-8 is expected)\n' });
    expect(read(be)).toEqual({ text, stderr: 'nlmc: note: F is UTF-16 (big-endian) without a byte-order mark; read as such (UTF-8 is expected)\n' });
    expect(read(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x12, 0x00, 0x00, 0x7f]))).toEqual({ text: undefined, stderr: 'nlmc: cannot read F: it is not a text file (it contains NUL bytes); save it as UTF-8 text\n' });
    expect(detectEncoding(Buffer.from('plain'))).toEqual({ encoding: 'utf8', skip: 0, bom: false });
  });
});
