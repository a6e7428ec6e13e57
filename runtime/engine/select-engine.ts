/**
 * `--backend webgpu|cpu|auto`: auto takes WebGPU when an adapter exists and the CPU back end otherwise, and the
 * caller is told which (and why), so a user never wonders what ran.
 */
import { createParallelCpuEngine } from './cpu/cpu-pool.js';
import type { EngineData } from './engine-data.js';
import type { Engine, SolverSettings } from './engine.js';
import type { PreparedModel } from './prepared-model.js';
import { acquireGpu } from './webgpu/device.js';
import { createWebGpuEngine } from './webgpu/webgpu-engine.js';

export type BackendChoice = 'auto' | 'cpu' | 'webgpu';

export interface SelectedEngine {
  readonly engine: Engine;
  /** One line for the user: what runs, and why when it is not what they asked for. */
  readonly note: string;
  /** Releases the engine and its device. */
  readonly close: () => void;
}

/** Throws an Error with a user-facing message when `webgpu` is demanded and none is available. */
export async function selectEngine(model: PreparedModel, data: EngineData, settings: SolverSettings, backend: BackendChoice): Promise<SelectedEngine> {
  if (backend === 'cpu') {
    const engine = createParallelCpuEngine(model, data, settings);
    return { engine, note: `back end: ${engine.description}`, close: () => engine.dispose() };
  }
  const gpu = await acquireGpu();
  if ('unavailable' in gpu) {
    if (backend === 'webgpu') throw new Error(`--backend webgpu: ${gpu.unavailable}`);
    const engine = createParallelCpuEngine(model, data, settings);
    return { engine, note: `back end: ${engine.description} (${gpu.unavailable})`, close: () => engine.dispose() };
  }
  let engine;
  try {
    engine = await createWebGpuEngine(model, data, settings, gpu.device, gpu.adapterInfo);
  } catch (e) {
    // auto: a model the GPU cannot hold (compile warning W401: an array over WGSL's limit) runs on the CPU.
    if (backend === 'webgpu') throw e;
    gpu.device.destroy();
    const cpu = createParallelCpuEngine(model, data, settings);
    return { engine: cpu, note: `back end: ${cpu.description} (WebGPU cannot run this model: ${(e as Error).message.slice(0, 300)})`, close: () => cpu.dispose() };
  }
  return {
    engine, note: `back end: WebGPU on ${gpu.adapterInfo} (f32)`,
    close: () => {
      engine.dispose();
      gpu.device.destroy();
    },
  };
}
