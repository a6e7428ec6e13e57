/**
 * The shader that runs: the model's `nlm_` functions (emit-wgsl.ts) followed by the integrator kernel (kernel.ts)
 * for one integration method. The one place it is put together — the WebGPU engine's prepared model
 * (runtime/engine/prepared-model.ts) and `nlmc build` (the `kernel` artifact, compiler/pipeline.ts) both call
 * `emitRunnableShader`, so what a user reads is what the engine compiles.
 */
import type { ModelDerivatives } from '../diff/model-derivatives.js';
import { dimensions, doseEvents, modelFunctions } from '../emit/model-functions.js';
import type { ModelIR } from '../ir/model-ir.js';
import { dormandPrince5 } from '../solvers/butcher-tableau.js';
import { ros34pw2 } from '../solvers/rosenbrock-tableau.js';
import { emitKernel, type KernelMethod } from './kernel.js';

/** The integration methods a kernel can be generated for, by the name the commands take. */
export const kernelMethods = { explicit: dormandPrince5, rosenbrock: ros34pw2 } as const satisfies Record<string, KernelMethod>;
export type KernelMethodName = keyof typeof kernelMethods;

/** `modelWgsl` is the `wgsl` artifact of the same compile (the model functions). */
export function emitRunnableShader(ir: ModelIR, derivatives: ModelDerivatives, modelWgsl: string, method: KernelMethodName): string {
  const events = doseEvents(ir, derivatives);
  const functionLengths = new Map(modelFunctions(ir, derivatives).map((f) => [f.name, f.length]));
  const facts = { functionLengths, inputTargets: ir.inputs.map((i) => i.target), doseTargets: events.map((e) => e.target) };
  return `${modelWgsl}\n${emitKernel(dimensions(ir, events), kernelMethods[method], facts)}`;
}
