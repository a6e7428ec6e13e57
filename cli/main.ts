#!/usr/bin/env node
/** The `nlmc` command: argument parsing and dispatch only. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { EmitTarget } from '../compiler/pipeline.js';
import { runBuild } from './commands/build.js';
import { runSimulate } from './commands/simulate.js';

const io = { stdout: (s: string) => process.stdout.write(s), stderr: (s: string) => process.stderr.write(s) };

await yargs(hideBin(process.argv))
  .scriptName('nlmc')
  .usage('$0 <command> [options]')
  .command(
    'build <model>',
    'Parse, check and differentiate a model; write its IR, WGSL and TS',
    (y) =>
      y
        .positional('model', { type: 'string', demandOption: true, describe: 'the .nlm file' })
        .option('emit', { type: 'string', array: true, choices: ['ir', 'wgsl', 'ts'], describe: 'artifacts to write (default: all)' })
        .option('out', { type: 'string', describe: 'output folder (default: build/ next to the model)' }),
    (argv) => {
      process.exitCode = runBuild(
        { model: argv.model, emit: argv.emit as EmitTarget[] | undefined, out: argv.out, color: Boolean(process.stderr.isTTY) && !process.env['NO_COLOR'] },
        io,
      );
    },
  )
  .command(
    'simulate <model>',
    'Simulate a dataset from the model’s values (or --params) for a design or a template dataset',
    (y) =>
      y
        .positional('model', { type: 'string', demandOption: true, describe: 'the .nlm file' })
        .option('design', { type: 'string', describe: 'design file (JSON): subjects, times, jitter, doses, covariates' })
        .option('data', { type: 'string', describe: 'template dataset (CSV): its subjects, times, doses and covariates' })
        .option('seed', { type: 'number', default: 1, describe: 'random seed: the same seed writes the same file' })
        .option('params', { type: 'string', describe: 'JSON of values to use instead of the model’s: {"CL": 0.05, "omega_CL": 0.3, "sigma": 0.1}' })
        .option('out', { type: 'string', describe: 'output CSV (default: <model>.sim.csv); true values go to <out>.truth.csv' })
        .option('map', { type: 'string', array: true, default: [] as string[], describe: 'name=COLUMN: read a model name or role from another column' }),
    async (argv) => {
      const map: Record<string, string> = {};
      for (const m of argv.map) {
        const [k, v] = String(m).split('=');
        if (!k || !v) {
          process.stderr.write(`nlmc simulate: --map takes name=COLUMN, found '${m}'\n`);
          process.exitCode = 1;
          return;
        }
        map[k] = v;
      }
      process.exitCode = await runSimulate(
        { model: argv.model, design: argv.design, data: argv.data, seed: argv.seed, params: argv.params, out: argv.out, map, color: Boolean(process.stderr.isTTY) && !process.env['NO_COLOR'] },
        io,
      );
    },
  )
  .demandCommand(1, 'name a command: nlmc build model.nlm')
  .strict()
  .help()
  .parseAsync();
