#!/usr/bin/env node
/**
 * The `nlmc` command: argument parsing and dispatch only. Each command's modules load when it runs, so a command
 * (or `--help`) pays only for what it uses.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { EmitTarget } from '../compiler/pipeline.js';
import { POSTERIOR_FAMILIES } from '../runtime/infer/posterior-family.js';
import { EXECUTOR_NAMES, EXECUTORS, type ExecutorName } from '../runtime/uq/executor/executors.js';

/** `--map name=COLUMN` pairs, or undefined after reporting a malformed one. */
function parseMap(pairs: readonly (string | number)[]): Record<string, string> | undefined {
  const map: Record<string, string> = {};
  for (const m of pairs) {
    const [k, v] = String(m).split('=');
    if (!k || !v) {
      process.stderr.write(`nlmc: --map takes name=COLUMN, found '${m}'\n`);
      process.exitCode = 1;
      return undefined;
    }
    map[k] = v;
  }
  return map;
}

/** The options every batch of fits takes: where the fits run (runtime/uq/executor). */
const executorOptions = {
  executor: { choices: EXECUTOR_NAMES, default: 'local' as ExecutorName, describe: `where the fits run: ${EXECUTOR_NAMES.map((n) => `${n} — ${EXECUTORS[n].describe}`).join('; ')} (docs/cluster.md)` },
  'dry-run': { type: 'boolean', default: false, describe: 'write the datasets and what would run (with slurm: the sbatch script), print the command, fit nothing' },
  sbatch: { type: 'string', array: true, default: [] as string[], describe: 'an option for the Slurm job, written as an #SBATCH line: --sbatch=--partition=long --sbatch=--time=1:00:00' },
} as const;

/** What each refit of `nlmc study` / `nlmc bootstrap` is told of the fit itself: nlmc fit's own flags, passed on. */
const refitOptions = {
  epochs: { type: 'number', describe: 'maximum epochs of each fit' },
  posterior: { choices: POSTERIOR_FAMILIES, describe: 'q(η | Y) of each fit (nlmc fit --posterior; default: full rank)' },
  estimate: { choices: ['ml', 'elbo'] as const, describe: 'the estimate each fit reports (nlmc fit --estimate; default: ml)' },
} as const;

/** The refit flags that were given, as nlmc fit arguments. */
function refitArgs(argv: { epochs?: number | undefined; posterior?: string | undefined; estimate?: string | undefined }): string[] {
  return [
    ...(argv.epochs !== undefined ? ['--epochs', String(argv.epochs)] : []), ...(argv.posterior !== undefined ? ['--posterior', argv.posterior] : []),
    ...(argv.estimate !== undefined ? ['--estimate', argv.estimate] : []),
  ];
}

/** The integration method, for every command that integrates trajectories (runtime/engine/choose-method.ts). */
const methodOption = {
  choices: ['auto', 'explicit', 'rosenbrock'] as const, default: 'auto' as const,
  describe: 'integration method: explicit Dormand–Prince 5(4), Rosenbrock-W ROS34PW2 for stiff models, or auto (a stiffness test decides, and says why)',
} as const;

const io = { stdout: (s: string) => process.stdout.write(s), stderr: (s: string) => process.stderr.write(s) };

await yargs(hideBin(process.argv))
  .scriptName('nlmc')
  .usage('$0 <command> [options]')
  .option('verbose', { type: 'boolean', default: false, global: true, describe: 'also show the GPU driver’s own messages (Dawn, Vulkan), which are hidden otherwise' })
  .middleware((argv) => {
    // Read where the WebGPU device is made (runtime/engine/webgpu/device.ts), also by the fits `nlmc study` starts.
    if (argv.verbose) process.env['NLMC_VERBOSE'] = '1';
  })
  .command(
    'build <model>',
    'Parse, check and differentiate a model; write its IR, WGSL (model functions, and the kernel that runs) and TS',
    (y) =>
      y
        .positional('model', { type: 'string', demandOption: true, describe: 'the .nlm file' })
        .option('emit', { type: 'string', array: true, choices: ['ir', 'wgsl', 'kernel', 'ts'], describe: 'artifacts to write (default: all); kernel: the shader the WebGPU engine runs' })
        .option('method', { choices: ['explicit', 'rosenbrock'] as const, default: 'explicit' as const, describe: 'integration method of the kernel: explicit Dormand–Prince 5(4) or Rosenbrock-W ROS34PW2' })
        .option('out', { type: 'string', describe: 'output folder (default: build/ next to the model)' }),
    async (argv) => {
      process.exitCode = (await import('./commands/build.js')).runBuild(
        { model: argv.model, emit: argv.emit as EmitTarget[] | undefined, out: argv.out, method: argv.method, color: Boolean(process.stderr.isTTY) && !process.env['NO_COLOR'] },
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
        .option('map', { type: 'string', array: true, default: [] as string[], describe: 'name=COLUMN: read a model name or role from another column' })
        .option('method', methodOption),
    async (argv) => {
      const map = parseMap(argv.map);
      if (!map) return;
      process.exitCode = await (await import('./commands/simulate.js')).runSimulate(
        { model: argv.model, design: argv.design, data: argv.data, seed: argv.seed, params: argv.params, out: argv.out, map, method: argv.method, color: Boolean(process.stderr.isTTY) && !process.env['NO_COLOR'] },
        io,
      );
    },
  )
  .command(
    'fit <model>',
    'Fit the model to a dataset by amortized variational inference',
    (y) =>
      y
        .positional('model', { type: 'string', demandOption: true, describe: 'the .nlm file' })
        .option('data', { type: 'string', demandOption: true, describe: 'NONMEM-style CSV' })
        .option('out', { type: 'string', describe: 'run folder (default: model.nlm → model.fit/)' })
        .option('backend', { choices: ['auto', 'cpu', 'webgpu'] as const, default: 'auto' as const, describe: 'where trajectories are integrated' })
        .option('encoder', { choices: ['conv', 'gru', 'attention', 'transformer'] as const, describe: 'encoder architecture (default: conv for regular designs, gru otherwise)' })
        .option('seed', { type: 'number', default: 1 })
        .option('epochs', { type: 'number', default: 2000, describe: 'maximum number of epochs' })
        .option('samples', { type: 'number', default: 8, describe: 'Monte-Carlo samples per subject and step' })
        .option('posterior', { choices: POSTERIOR_FAMILIES, describe: 'q(η | Y): full rank N(μ, LLᵀ), mean field N(μ, diag σ²), flow (planar layers on the full-rank Gaussian), or autoencoder (no q: η = the encoder’s mean, ω not estimated; the deterministic baseline) (default: fullrank, docs/fit.md; --resume keeps the fit’s)' })
        .option('iw-samples', { type: 'number', describe: 'K: 1 for the ELBO, > 1 for the importance-weighted bound with K draws per sample (default 1)' })
        .option('lr', { type: 'number', default: 0.05, describe: 'initial learning rate (Adam)' })
        .option('validation', { type: 'number', default: 0, describe: 'fraction of subjects held out for early stopping (0: none)' })
        .option('patience', { type: 'number', default: 100, describe: 'epochs without improvement before stopping' })
        .option('resume', { type: 'boolean', default: false, describe: 'continue from the run folder’s fit.json' })
        .option('quiet', { type: 'boolean', default: false, describe: 'no progress bar' })
        .option('json', { type: 'boolean', default: false, describe: 'progress as JSON lines on stdout' })
        .option('map', { type: 'string', array: true, default: [] as string[], describe: 'name=COLUMN' })
        .option('uncertainty', { type: 'boolean', default: true, describe: 'after the fit: marginal likelihood (−2LL, AIC, BIC) and standard errors from the observed information (--no-uncertainty to skip)' })
        .option('method', methodOption)
        .option('estimate', { choices: ['ml', 'elbo'] as const, default: 'ml' as const, describe: 'the reported estimate: the maximum-likelihood finish from the variational optimum (ml), or the variational optimum itself (elbo)' })
        .option('uq-estimator', { choices: ['auto', 'agq', 'laplace', 'prior', 'importance'] as const, default: 'auto' as const, describe: 'how the marginal likelihood is integrated: adaptive Gauss–Hermite quadrature (agq; auto for up to 4 random effects), importance sampling from the Laplace approximation (laplace; auto beyond), or — with --estimate elbo — draws from the prior or the fitted q' })
        .option('agq-nodes', { type: 'number', describe: 'AGQ nodes per random effect (default 9, 9, 5, 3 for 1–4 effects)' })
        .option('uq-samples', { type: 'number', describe: 'draws per subject: of the Laplace sampler (default 200) or of the --estimate elbo estimators (default 100)' })
        .option('uq-seconds', { type: 'number', describe: 'time budget for resolving the information’s Monte-Carlo error (Laplace sampler; default 120)' })
        .option('starts', { type: 'number', default: 0, describe: 'convergence assessment: refit from N random initial values (±50 % for φ, ×/÷2 for ω and σ) and write starts.csv' })
        .option('report', { type: 'boolean', default: false, describe: 'after a complete fit, write its report (report.html and report-figures/ in the run folder; see nlmc report)' }),
    async (argv) => {
      const map = parseMap(argv.map);
      if (!map) return;
      const whole = (x: number | undefined, min: number): boolean => x === undefined || (Number.isInteger(x) && x >= min);
      if (!whole(argv.uqSamples, 2) || !whole(argv.agqNodes, 1) || !(argv.uqSeconds === undefined || argv.uqSeconds > 0) || !(Number.isInteger(argv.starts) && argv.starts >= 0) || !(argv.iwSamples === undefined || (Number.isInteger(argv.iwSamples) && argv.iwSamples >= 1))) {
        process.stderr.write('nlmc fit: --uq-samples takes a whole number ≥ 2, --agq-nodes one ≥ 1, --uq-seconds a positive number, --starts a whole number ≥ 0 and --iw-samples a whole number ≥ 1\n');
        process.exitCode = 1;
        return;
      }
      let stop = false;
      const onSigint = (): void => {
        if (stop) process.exit(130);
        stop = true;
        process.stderr.write('\nnlmc fit: stopping after this step (Ctrl-C again to quit at once)\n');
      };
      process.on('SIGINT', onSigint);
      process.exitCode = await (await import('./commands/fit.js')).runFit(
        {
          model: argv.model, data: argv.data, out: argv.out, backend: argv.backend, encoder: argv.encoder, seed: argv.seed, epochs: argv.epochs, samples: argv.samples,
          learningRate: argv.lr, validation: argv.validation, patience: argv.patience, resume: argv.resume, progress: argv.json ? 'json' : argv.quiet ? 'quiet' : 'bar', map,
          color: Boolean(process.stderr.isTTY) && !process.env['NO_COLOR'], uncertainty: argv.uncertainty, uqSamples: argv.uqSamples, uqEstimator: argv.uqEstimator, starts: argv.starts,
          estimate: argv.estimate, agqNodes: argv.agqNodes, uqSeconds: argv.uqSeconds, method: argv.method,
          posterior: argv.posterior, iwSamples: argv.iwSamples, report: argv.report,
        },
        { ...io, isTty: Boolean(process.stderr.isTTY) },
        () => stop,
      );
      process.off('SIGINT', onSigint);
    },
  )
  .command(
    'predict <fit>',
    'Posteriors and predictions for new subjects from a fitted model (no refitting)',
    (y) =>
      y
        .positional('fit', { type: 'string', demandOption: true, describe: 'a run folder (model.fit/) or its fit.json' })
        .option('data', { type: 'string', demandOption: true, describe: 'NONMEM-style CSV of the new subjects' })
        .option('out', { type: 'string', describe: 'output folder (default: <fit>/predict/)' })
        .option('map', { type: 'string', array: true, default: [] as string[], describe: 'name=COLUMN' }),
    async (argv) => {
      const map = parseMap(argv.map);
      if (!map) return;
      process.exitCode = await (await import('./commands/predict.js')).runPredict({ fit: argv.fit, data: argv.data, out: argv.out, map }, io);
    },
  )
  .command(
    'evaluate <fit>',
    'Model evaluation of a fit: NPDE and PWRES, η/ε-shrinkage, per-subject −2LL, VPC and pcVPC (docs/evaluate.md)',
    (y) =>
      y
        .positional('fit', { type: 'string', demandOption: true, describe: 'a run folder (model.fit/) or its fit.json' })
        .option('samples', { type: 'number', default: 500, describe: 'K: simulated replicates of the design' })
        .option('seed', { type: 'number', default: 1 })
        .option('bins', { type: 'number', default: 10, describe: 'VPC time bins (quantile binning) per output' })
        .option('vpc-x', { choices: ['time', 'tad'] as const, default: 'time' as const, describe: 'the VPC bins: by time, or by time after the last dose (tad)' })
        .option('stratify', { type: 'string', describe: 'a covariate: one VPC per stratum of its baseline values' })
        .option('data', { type: 'string', describe: 'the dataset (default: the one named in fit.json)' })
        .option('map', { type: 'string', array: true, default: [] as string[], describe: 'name=COLUMN' }),
    async (argv) => {
      const map = parseMap(argv.map);
      if (!map) return;
      process.exitCode = await (await import('./commands/evaluate.js')).runEvaluate({ fit: argv.fit, samples: argv.samples, seed: argv.seed, bins: argv.bins, binning: argv.vpcX, stratify: argv.stratify, data: argv.data, map }, io);
    },
  )
  .command(
    'report <fits..>',
    'The run’s report: one self-contained HTML page with its figures (also as SVG files); two runs: side by side, with ΔOFV (docs/report.md)',
    (y) =>
      y
        .positional('fits', { type: 'string', array: true, demandOption: true, describe: 'a run folder (model.fit/) or its fit.json; a second one to compare with' })
        .option('out', { type: 'string', describe: 'the HTML file (default: <run>/report.html, or <a>/compare-<b>.html); figures go to <name>-figures/ beside it' })
        .option('samples', { type: 'number', describe: 'K: simulated replicates for the NPDE and VPC (default 200, fewer above 500 subjects)' })
        .option('seed', { type: 'number', default: 1 })
        .option('bins', { type: 'number', default: 10, describe: 'VPC time bins (quantile binning) per output' })
        .option('vpc-x', { choices: ['time', 'tad'] as const, default: 'time' as const, describe: 'the VPC bins: by time, or by time after the last dose (tad)' })
        .option('stratify', { type: 'string', describe: 'a covariate: one VPC panel per stratum of its baseline values' })
        .option('subjects', { type: 'number', default: 24, describe: 'individual fits drawn at most (evenly spaced over the dataset)' })
        .option('data', { type: 'string', describe: 'the dataset (default: the one named in fit.json)' })
        .option('map', { type: 'string', array: true, default: [] as string[], describe: 'name=COLUMN' }),
    async (argv) => {
      const map = parseMap(argv.map);
      if (!map) return;
      process.exitCode = await (await import('./commands/report.js')).runReport({ fits: argv.fits, out: argv.out, samples: argv.samples, seed: argv.seed, bins: argv.bins, binning: argv.vpcX, stratify: argv.stratify, subjects: argv.subjects, data: argv.data, map }, io);
    },
  )
  .command(
    'fmt <files..>',
    'Format models in the canonical layout (the editor’s Format Document)',
    (y) =>
      y
        .positional('files', { type: 'string', array: true, demandOption: true, describe: 'the .nlm files' })
        .option('check', { type: 'boolean', default: false, describe: 'list the files that are not formatted; exit 1 if any' })
        .option('write', { type: 'boolean', default: false, describe: 'rewrite the files in place' }),
    async (argv) => {
      process.exitCode = (await import('./commands/fmt.js')).runFmt({ files: argv.files, check: argv.check, write: argv.write, color: Boolean(process.stderr.isTTY) && !process.env['NO_COLOR'] }, io);
    },
  )
  .command(
    'lsp',
    'Start the language server (Language Server Protocol over stdin/stdout)',
    (y) =>
      y
        .option('stdio', { type: 'boolean', default: true, describe: 'speak LSP on stdin/stdout (the only transport)' })
        .option('clientProcessId', { type: 'number', describe: 'exit when this process exits (set by some clients)' }),
    async (argv) => {
      const { startServer } = await import('../lsp/server.js');
      startServer({ input: process.stdin, output: process.stdout, ...(argv.clientProcessId !== undefined ? { clientProcessId: argv.clientProcessId } : {}) });
    },
  )
  .command(
    'study <model>',
    'Simulation study: simulate N datasets at the model’s values, fit each, and tabulate bias, RRMSE, variances and coverage',
    (y) =>
      y
        .positional('model', { type: 'string', demandOption: true, describe: 'the .nlm file' })
        .option('replicates', { type: 'number', demandOption: true, describe: 'number of simulated datasets' })
        .option('seed', { type: 'number', default: 1, describe: 'replicate r uses seed + r − 1 for its data and its fit' })
        .option('design', { type: 'string', describe: 'design file (default: design.json next to the model)' })
        .option('jobs', { type: 'number', describe: 'fits at a time, each its own process (default: the number of cores)' })
        .option('out', { type: 'string', describe: 'study folder (default: model.nlm → model.study/)' })
        .option('backend', { choices: ['auto', 'cpu', 'webgpu'] as const, default: 'auto' as const, describe: 'back end of each fit' })
        .options(refitOptions)
        .option('uq-samples', { type: 'number', describe: 'Monte-Carlo draws per subject of each fit’s uncertainty step' })
        .option('method', methodOption)
        .options(executorOptions)
        .option('start', {
          choices: ['perturbed', 'truth'] as const, default: 'perturbed' as const,
          describe: 'where each fit starts: perturbed — each estimated parameter 30 % from the truth (×1.3 or ×0.7), each ω and residual-error parameter ×1.5 or ÷1.5, directions drawn per replicate (rep-NNN/start.nlm) — or the truth (the model’s values)',
        }),
    async (argv) => {
      const fitArgs = [...refitArgs(argv), ...(argv.uqSamples !== undefined ? ['--uq-samples', String(argv.uqSamples)] : []), '--method', argv.method];
      process.exitCode = await (await import('./commands/study.js')).runStudy(
        { model: argv.model, replicates: argv.replicates, seed: argv.seed, design: argv.design, jobs: argv.jobs, out: argv.out, backend: argv.backend, fitArgs, start: argv.start, method: argv.method,
          executor: argv.executor, dryRun: argv.dryRun, schedulerOptions: argv.sbatch.map(String), color: Boolean(process.stderr.isTTY) && !process.env['NO_COLOR'] },
        io,
      );
    },
  )
  .command(
    'bootstrap <model>',
    'Nonparametric bootstrap: refit datasets resampled by subject; percentile and BCa intervals, failed refits counted (docs/uncertainty.md)',
    (y) =>
      y
        .positional('model', { type: 'string', demandOption: true, describe: 'the .nlm file' })
        .option('data', { type: 'string', demandOption: true, describe: 'NONMEM-style CSV' })
        .option('samples', { type: 'number', demandOption: true, describe: 'B: resampled datasets, each refitted' })
        .option('seed', { type: 'number', default: 1, describe: 'sample b is drawn and refitted with seed + b − 1' })
        .option('stratify', { type: 'string', describe: 'a column constant within subjects (a covariate): resample within each of its values' })
        .option('level', { type: 'number', default: 0.95, describe: 'confidence level of the intervals' })
        .option('bca', { type: 'boolean', default: true, describe: 'BCa intervals, which need one more fit per subject (the jackknife); --no-bca: percentile only' })
        .option('jobs', { type: 'number', describe: 'fits at a time (local: default one per core; slurm: a throttle on the array)' })
        .option('out', { type: 'string', describe: 'bootstrap folder (default: model.nlm → model.bootstrap/)' })
        .option('backend', { choices: ['auto', 'cpu', 'webgpu'] as const, default: 'auto' as const, describe: 'back end of each fit' })
        .options(refitOptions)
        .option('map', { type: 'string', array: true, default: [] as string[], describe: 'name=COLUMN' })
        .options(executorOptions),
    async (argv) => {
      const map = parseMap(argv.map);
      if (!map) return;
      process.exitCode = await (await import('./commands/bootstrap.js')).runBootstrapCommand(
        {
          model: argv.model, data: argv.data, samples: argv.samples, seed: argv.seed, stratify: argv.stratify, level: argv.level, bca: argv.bca, jobs: argv.jobs, out: argv.out,
          backend: argv.backend, map, fitArgs: refitArgs(argv), executor: argv.executor, dryRun: argv.dryRun,
          schedulerOptions: argv.sbatch.map(String), color: Boolean(process.stderr.isTTY) && !process.env['NO_COLOR'],
        },
        io,
      );
    },
  )
  .demandCommand(1, 'name a command: nlmc build model.nlm')
  .strict()
  .help()
  .parseAsync();
