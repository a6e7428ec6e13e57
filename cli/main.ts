#!/usr/bin/env node
/** The `nlmc` command: argument parsing and dispatch only. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { EmitTarget } from '../compiler/pipeline.js';
import { runBuild } from './commands/build.js';

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
  .demandCommand(1, 'name a command: nlmc build model.nlm')
  .strict()
  .help()
  .parseAsync();
