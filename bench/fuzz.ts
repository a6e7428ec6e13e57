/**
 * Fuzzing the front end at scale: `npm run bench:fuzz [-- COUNT [SEED]]` (10⁵ inputs by default, a random seed).
 *
 * Each input is a mutated example model (test/fuzz/mutate.ts) run through the whole compiler, the renderer and the
 * formatter; the invariants are test/fuzz/invariants.ts (the suite runs a bounded share of the same inputs).
 * Prints the seed, the inputs that broke an invariant (index, mutations, problem, the start of the input) and the
 * slowest inputs with their times and slowest stage. Each input over 1 s is then timed again alone, three times, so
 * that a time inflated by the machine's load shows as such (the least of the three is the input's own cost). Input i
 * of seed s is reproduced by `fuzzInput(exampleModels(), s, i)`. Asserts nothing; exits 1 when an invariant broke.
 */
import { checkInput } from '../test/fuzz/invariants.js';
import { exampleModels, fuzzInput } from '../test/fuzz/mutate.js';

const count = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? Math.floor(Math.random() * 2 ** 31));
const corpus = exampleModels();
console.log(`seed ${seed}, ${count} inputs from ${corpus.length} example models`);

const slowest: { ms: number; index: number; how: string; length: number; stage: string }[] = [];
const overOneIndices: number[] = [];
let maxMs = 0;

/** The stage that took longest, with its milliseconds. */
const slowestStage = (stages: Readonly<Record<string, number>>): string => {
  const [name, ms] = Object.entries(stages).reduce((a, b) => (b[1] > a[1] ? b : a), ['-', 0]);
  return `${name} ${ms.toFixed(0)} ms`;
};
const failures: { index: number; how: string; problem: string; source: string }[] = [];
let total = 0;
let overOne = 0;
const started = performance.now();
for (let i = 0; i < count; i++) {
  const input = fuzzInput(corpus, seed, i);
  const checked = checkInput(input.source);
  total += checked.ms;
  maxMs = Math.max(maxMs, checked.ms);
  if (checked.ms > 1000) {
    overOne++;
    overOneIndices.push(i);
  }
  if (checked.problem) failures.push({ index: i, how: input.how, problem: checked.problem, source: input.source });
  if (slowest.length < 10 || checked.ms > slowest[slowest.length - 1]!.ms) {
    slowest.push({ ms: checked.ms, index: i, how: input.how, length: input.source.length, stage: slowestStage(checked.stages) });
    slowest.sort((a, b) => b.ms - a.ms);
    slowest.length = Math.min(slowest.length, 10);
  }
  if ((i + 1) % 10_000 === 0) console.log(`  ${i + 1} inputs, ${failures.length} broken, ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

console.log(`\n${count} inputs in ${((performance.now() - started) / 1000).toFixed(1)} s (mean ${(total / count).toFixed(2)} ms, max ${maxMs.toFixed(0)} ms); ${failures.length} broke an invariant; ${overOne} took over 1 s`);
for (const f of failures.slice(0, 20)) {
  console.log(`\ninput ${f.index} (seed ${seed}; ${f.how}): ${f.problem.split('\n').slice(0, 6).join('\n  ')}`);
  console.log(`  input (${f.source.length} characters): ${JSON.stringify(f.source.slice(0, 600))}${f.source.length > 600 ? '…' : ''}`);
}
console.log('\nslowest inputs (ms, index, characters, slowest stage, mutations):');
for (const s of slowest) console.log(`  ${s.ms.toFixed(1).padStart(8)}  ${String(s.index).padStart(6)}  ${String(s.length).padStart(8)}  ${s.stage.padEnd(16)}  ${s.how}`);
if (overOneIndices.length > 0) console.log('\nthe inputs over 1 s, timed again alone (ms, three runs; index):');
for (const i of overOneIndices) {
  const { source } = fuzzInput(corpus, seed, i);
  const again = [0, 1, 2].map(() => checkInput(source).ms);
  console.log(`  ${again.map((ms) => ms.toFixed(0).padStart(6)).join(' ')}  ${i}${Math.min(...again) > 1000 ? '  (over 1 s alone)' : ''}`);
}
if (failures.length > 0) process.exitCode = 1;
