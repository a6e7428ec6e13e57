/**
 * Language-server benchmark: `npm run bench:lsp` (builds, then runs this).
 *
 * Starts the built server (`node dist/cli/main.js lsp --stdio`, what the `nlmc` command runs; `--source` runs the
 * TypeScript through tsx instead), opens a 1,000-line model (bench/lsp-model.ts) and measures the time from sending a
 * `didChange` to receiving the `publishDiagnostics` for that version:
 * - warm single edits after a quiet spell (the common case: the server analyses at once): a changed initial value
 *   (parse, check and lowering all run) and a misspelt name (lowering is skipped after an error);
 * - the last edit of a burst of typing, which waits for the pause (the debounce, 150 ms) before the analysis.
 * Also prints where the time goes inside the server (the compiler's front end, in this process, on the built code).
 * Prints figures only; asserts nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LspClient, root } from '../test/lsp/lsp-client.js';
import { syntheticModel } from './lsp-model.js';

const fromSource = process.argv.includes('--source');
const runs = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 40);
const built = join(root, 'dist/cli/main.js');
if (!fromSource && !existsSync(built)) throw new Error('dist/cli/main.js is missing: run `npm run build` (or pass --source)');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stats = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(1)} ms · p90 ${q(0.9).toFixed(1)} ms · max ${s[s.length - 1]!.toFixed(1)} ms`;
};

const text = syntheticModel(1000);
const lines = text.split('\n').length - 1;
const uri = pathToFileURL(join(root, 'bench/synthetic-1000.nlm')).toString();
const client = await LspClient.start({}, {}, fromSource ? undefined : [built, 'lsp', '--stdio']);

let t = performance.now();
await client.open(uri, text);
let d = await client.diagnostics(uri, 1);
const cold = performance.now() - t;
if (d.diagnostics.length > 0) throw new Error(`the benchmark model has diagnostics: ${d.diagnostics[0]!.message}`);

/** Replaces the text at `line`, columns [from, to), and returns ms until its diagnostics arrive. */
async function edit(line: number, from: number, to: number, newText: string): Promise<{ ms: number; count: number }> {
  const start = performance.now();
  const version = await client.change(uri, [{ range: { start: { line, character: from }, end: { line, character: to } }, text: newText }]);
  const published = await client.diagnostics(uri, version);
  return { ms: performance.now() - start, count: published.diagnostics.length };
}

// A parameter's initial value (the line `  k0     = 0.05  ...`) and a name in an equation (`  r0 = k0 * X0 / ...`).
const all = text.split('\n');
const paramLine = all.findIndex((l) => l.startsWith('  k0 '));
const valueAt = all[paramLine]!.indexOf('0.05');
const eqLine = all.findIndex((l) => l.startsWith('  r0 = k0 * X0'));
const nameAt = all[eqLine]!.indexOf('X0');

const valid: number[] = [];
const invalid: number[] = [];
for (let i = 0; i < runs + 10; i++) {
  await sleep(250);
  const v = await edit(paramLine, valueAt, valueAt + 4, i % 2 ? '0.05' : '0.07');
  await sleep(250);
  const bad = await edit(eqLine, nameAt, nameAt + 2, 'Q0');
  await sleep(250);
  const back = await edit(eqLine, nameAt, nameAt + 2, 'X0');
  if (v.count !== 0 || bad.count !== 1 || back.count !== 0) throw new Error('unexpected diagnostics');
  if (i >= 10) {
    valid.push(v.ms);
    invalid.push(bad.ms);
  }
}

// Bursts: ten edits 15 ms apart; the time from the last one to its diagnostics.
const bursts: number[] = [];
for (let b = 0; b < 10; b++) {
  await sleep(300);
  let version = 0;
  for (let k = 0; k < 10; k++) {
    version = await client.change(uri, [{ range: { start: { line: paramLine, character: valueAt }, end: { line: paramLine, character: valueAt + 4 } }, text: k % 2 ? '0.05' : '0.06' }]);
    if (k < 9) await sleep(15);
  }
  t = performance.now();
  d = await client.diagnostics(uri, version);
  bursts.push(performance.now() - t);
}
await client.stop();

// Where the time goes: the front end the server runs, on the built code, in this process.
const { compile } = (await import(pathToFileURL(join(root, fromSource ? 'compiler/pipeline.ts' : 'dist/compiler/pipeline.js')).toString())) as typeof import('../compiler/pipeline.js');
const stages: Record<string, number[]> = { parse: [], check: [], lower: [] };
for (let i = 0; i < 30; i++) {
  const r = compile(text, { emit: [], stopAfter: 'lower' });
  if (i >= 10) for (const s of Object.keys(stages)) stages[s]!.push(r.timings[s] ?? 0);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

console.log(`nlmc lsp (${fromSource ? 'TypeScript sources through tsx' : 'built: node dist/cli/main.js lsp --stdio'}), model of ${lines} lines, ${text.length} characters`);
console.log(`open → diagnostics (cold):                 ${cold.toFixed(1)} ms`);
console.log(`change → diagnostics, warm, valid edit:    ${stats(valid)}   (${runs} edits; target < 50 ms)`);
console.log(`change → diagnostics, warm, edit w/ error: ${stats(invalid)}`);
console.log(`last edit of a burst → diagnostics:        ${stats(bursts)}   (includes the 150 ms pause the server waits for)`);
console.log(`front end in-process (median): parse ${median(stages.parse!).toFixed(1)} ms · check ${median(stages.check!).toFixed(1)} ms · lower ${median(stages.lower!).toFixed(1)} ms`);
