/**
 * Compile-time benchmark: `npm run bench:compile [-- N]`.
 *
 * For each example model, one cold compile (the first of that model in this process; the first model's also pays
 * for loading and JIT-compiling the compiler and ts-morph), then N warm compiles (20 by default). Prints the median
 * milliseconds of each pipeline stage over the warm runs, the warm total (wall time of `compile`, so slightly more
 * than the sum of the stages), and the cold total. Prints figures only; asserts nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from '../compiler/pipeline.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.argv[2] ?? 20);
const stages = ['parse', 'check', 'lower', 'differentiate', 'emit-ir', 'emit-wgsl', 'emit-ts'] as const;

const examples = readdirSync(join(root, 'examples'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.nlm'))
  .sort();

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function timedCompile(source: string): { total: number; timings: Readonly<Record<string, number>> } {
  const start = performance.now();
  const result = compile(source);
  const total = performance.now() - start;
  if (result.diagnostics.some((d) => d.severity === 'error')) throw new Error('the model has errors');
  return { total, timings: result.timings };
}

const header = ['model', ...stages, 'total', 'cold total'];
const rows: string[][] = [];
for (const example of examples) {
  const source = readFileSync(join(root, 'examples', example), 'utf8');
  const cold = timedCompile(source);
  const warm = Array.from({ length: runs }, () => timedCompile(source));
  const ms = (v: number): string => v.toFixed(2);
  rows.push([
    example.replace(/\.nlm$/, ''),
    ...stages.map((s) => ms(median(warm.map((w) => w.timings[s] ?? 0)))),
    ms(median(warm.map((w) => w.total))),
    ms(cold.total),
  ]);
}

const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(`nlmc compile time, ms: median of ${runs} warm runs per stage; cold = first compile of the model in this process`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
console.log('target: < 200 ms warm per model');
