/**
 * `nlmc build model.nlm [--emit ir|wgsl|kernel|ts] [--method explicit|rosenbrock] [--out DIR]`: compile, print
 * diagnostics, write artifacts. `kernel` is the shader the WebGPU engine runs (model functions and integrator) for
 * the method given.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { KernelMethodName } from '../../compiler/emit-wgsl/runnable-shader.js';
import { compile, type EmitTarget } from '../../compiler/pipeline.js';
import { hasErrors } from '../../diagnostics/diagnostic.js';
import { renderDiagnostics } from '../../diagnostics/render.js';
import { writeFileAtomic } from '../../runtime/data/write-atomic.js';

export interface BuildArgs {
  readonly model: string;
  readonly emit?: readonly EmitTarget[];
  readonly out?: string;
  /** The integration method of the kernel artifact (explicit by default). */
  readonly method?: KernelMethodName;
  readonly color: boolean;
}

const extension: Record<EmitTarget, string> = { ir: '.ir.txt', wgsl: '.wgsl', kernel: '.kernel.wgsl', ts: '.ts' };

/** Returns the process exit code: 0 on success, 1 when the model has errors, 2 when the file cannot be read. */
export function runBuild(args: BuildArgs, io: { stdout: (s: string) => void; stderr: (s: string) => void }): number {
  let source: string;
  try {
    source = readFileSync(args.model, 'utf8');
  } catch (e) {
    io.stderr(`nlmc: cannot read ${args.model}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
    return 2;
  }
  const emit = args.emit && args.emit.length > 0 ? args.emit : (['ir', 'wgsl', 'kernel', 'ts'] as const);
  const result = compile(source, { emit, method: args.method });
  const report = renderDiagnostics(result.diagnostics, args.model, source, { color: args.color });
  if (report) io.stderr(report);
  if (hasErrors(result.diagnostics)) return 1;
  const outDir = args.out ?? join(dirname(args.model), 'build');
  mkdirSync(outDir, { recursive: true });
  const stem = basename(args.model).replace(/\.nlm$/, '');
  for (const target of emit) {
    const text = result.artifacts[target];
    if (text === undefined) continue;
    const path = join(outDir, `${stem}${extension[target]}`);
    writeFileAtomic(path, text);
    io.stdout(`wrote ${path}\n`);
  }
  const total = Object.values(result.timings).reduce((a, b) => a + b, 0);
  io.stdout(`compiled ${result.ir?.name ?? stem} in ${total.toFixed(0)} ms\n`);
  return 0;
}
