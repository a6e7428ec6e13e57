/**
 * Data-reading benchmark: generates a NONMEM-style CSV of 100,000 subjects and 2,000,000 rows in memory (one dose
 * row with ADDL, 19 observations, a constant and a time-varying covariate per subject), reads it with
 * `readDataset` and prints the wall time of each stage and the peak memory.
 *
 * Memory: a synchronous read leaves the event loop no turn to sample in, so a worker thread samples the
 * process's RSS every 5 ms; heapUsed is sampled at the stage boundaries, and the kernel's exact peak RSS
 * (`resourceUsage().maxRSS`) is printed too. `npm run bench:data` (add `-- --subjects N --rows-per-subject M`).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { readDataset } from '../runtime/data/index.js';
import type { DataRequirements } from '../runtime/data/index.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const subjects = arg('subjects', 100_000);
const rowsPerSubject = arg('rows-per-subject', 20);

const requirements: DataRequirements = {
  covariates: [{ name: 'WT', categorical: false }, { name: 'CRCL', categorical: false }, { name: 'SEX', categorical: true }],
  outputs: [{ name: 'conc', dvid: 1 }],
  inputs: [{ name: 'oral', cmt: 1, infusion: false, modelRate: false, modelDuration: false }],
};

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
let heapMax = 0;
const sampleHeap = (): void => {
  heapMax = Math.max(heapMax, process.memoryUsage().heapUsed);
};

const sampler = new Worker(
  `const { parentPort } = require('node:worker_threads');
   let max = 0;
   const tick = () => { max = Math.max(max, process.memoryUsage.rss()); };
   const timer = setInterval(tick, 5);
   parentPort.on('message', () => { clearInterval(timer); tick(); parentPort.postMessage(max); });`,
  { eval: true },
);

function generate(): string {
  // Joined per 1,000 subjects, so the generator leaves a few hundred strings behind, not millions of lines.
  const parts: string[] = ['ID,TIME,DV,AMT,EVID,MDV,CMT,II,ADDL,WT,CRCL,SEX\n'];
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  let lines: string[] = [];
  for (let s = 1; s <= subjects; s++) {
    const wt = (50 + 50 * random()).toFixed(1);
    const sex = random() < 0.5 ? 1 : 0;
    lines.push(`${s},0,.,100,1,1,1,24,2,${wt},${(60 + 60 * random()).toFixed(1)},${sex}`);
    for (let k = 1; k < rowsPerSubject; k++) {
      const t = ((k * 72) / rowsPerSubject).toFixed(2);
      const crcl = k === rowsPerSubject >> 1 ? (40 + 60 * random()).toFixed(1) : '.';
      lines.push(`${s},${t},${(10 * random()).toFixed(3)},.,0,0,2,.,.,${wt},${crcl},${sex}`);
    }
    if (s % 1000 === 0 || s === subjects) {
      parts.push(lines.join('\n') + '\n');
      lines = [];
    }
  }
  return parts.join('');
}

/** A full collection before each measurement, so heap figures are live data, not the generator's garbage. */
const collect: () => void = (() => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  return () => gc?.();
})();

async function main(): Promise<void> {
  sampleHeap();
  const rssBefore = process.memoryUsage.rss();
  let start = performance.now();
  const text = generate();
  const generateMs = performance.now() - start;
  collect();
  sampleHeap();
  const heapText = process.memoryUsage().heapUsed;
  const rssText = process.memoryUsage.rss();

  start = performance.now();
  const cpuStart = process.cpuUsage();
  const result = readDataset(text, 'generated.csv', requirements);
  const cpu = process.cpuUsage(cpuStart);
  const readMs = performance.now() - start;
  sampleHeap();
  collect();
  const heapResult = process.memoryUsage().heapUsed;
  const arrayBuffers = process.memoryUsage().arrayBuffers;
  const datasetBytes = result.dataset
    ? Object.values(result.dataset).reduce((sum: number, v: unknown) => sum + (ArrayBuffer.isView(v) ? v.byteLength : 0), 0)
    : 0;

  const peakRss = await new Promise<number>((resolve) => {
    sampler.once('message', resolve);
    sampler.postMessage('stop');
  });
  await sampler.terminate();
  const errors = result.issues.filter((i) => i.severity === 'error').length;
  const d = result.dataset;
  console.log(`generated ${subjects.toLocaleString('en')} subjects × ${rowsPerSubject} rows = ${(subjects * rowsPerSubject).toLocaleString('en')} rows, ${mb(text.length)} of CSV, in ${(generateMs / 1000).toFixed(2)} s`);
  console.log(`read in ${(readMs / 1000).toFixed(2)} s (${((subjects * rowsPerSubject) / (readMs / 1000) / 1e6).toFixed(2)} M rows/s, ${(text.length / 2 ** 20 / (readMs / 1000)).toFixed(0)} MiB/s); CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s (user ${(cpu.user / 1e6).toFixed(2)} s, all threads: csv-parse, GC)`);
  console.log(result.summaryLine);
  console.log(`issues: ${result.issues.length} (${errors} errors); dataset: ${d ? `${d.subjectCount} subjects, stride ${d.maxObservations} observations / ${d.maxDoses} doses / ${d.maxCovariateChanges} covariate change points` : 'none'}`);
  console.log(`memory: RSS ${mb(rssBefore)} at start, ${mb(rssText)} with the CSV text; peak RSS while reading ${mb(peakRss)} (sampled every 5 ms), ${mb(process.resourceUsage().maxRSS * 1024)} (kernel maxRSS)`);
  console.log(`heap: ${mb(heapText)} live with the CSV text, ${mb(heapMax)} max sampled (at stage boundaries), ${mb(heapResult)} live after reading; the dataset's typed arrays ${mb(datasetBytes)} (all array buffers ${mb(arrayBuffers)}) outside the heap`);
}

void main();
