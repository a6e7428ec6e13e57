/**
 * Large valid models compile (reproducers in test/fixtures/repro/fuzz): 350 states in a chain, 400 unused
 * parameters, `mlp(hidden = [32, 32])`. Their function bodies have tens of thousands of statements, which the
 * emitters must never spread into a call's arguments ("Maximum call stack size exceeded", once reported as a false
 * E101) nor run through a formatter (minutes, gigabytes). Their WGSL needs arrays beyond WGSL's limit: a warning
 * (W401) says so, and `--backend auto` runs them on the CPU; Dawn accepts what the GPU can hold.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { engineDataFromDataset } from '../../runtime/engine/from-dataset.js';
import { prepareModel } from '../../runtime/engine/prepared-model.js';
import { selectEngine } from '../../runtime/engine/select-engine.js';
import { validateWgsl } from '../../runtime/engine/webgpu/device.js';
import { readDataset, requirementsFromIr } from '../../runtime/data/index.js';
import { loadTsModel } from '../../runtime/model/load-ts-module.js';
import { useGpu } from '../gpu/gpu-fixture.js';

const gpu = await useGpu();
const fuzz = (name: string): string => readFileSync(fileURLToPath(new URL(`../fixtures/repro/fuzz/${name}`, import.meta.url)), 'utf8');

describe('large valid models compile', () => {
  it.each([
    ['states-350-chain.nlm', 'nlm_rhsDx returns 123904 values'],
    ['params-400-unused.nlm', 'nlm_individualDphi returns 161604 values'],
    ['mlp-32x32.nlm', 'values'],
  ])('%s: no error, both artifacts, W401 for the GPU', (file, what) => {
    const r = compile(fuzz(file));
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`)).toEqual([]);
    expect(r.ir).toBeDefined();
    expect(r.artifacts.ts!.length).toBeGreaterThan(10_000);
    expect(r.artifacts.wgsl!.length).toBeGreaterThan(10_000);
    const w401 = r.diagnostics.filter((d) => d.code === 'W401');
    expect(w401).toHaveLength(1);
    expect(w401[0]!.message).toContain(what);
    expect(w401[0]!.message).toMatch(/a WGSL array holds at most 65535; it runs on the CPU back end \(--backend cpu\)/);
  }, 180_000);

  it('the 350-state chain computes: the emitted TS module loads and its right-hand side is the chain', async () => {
    const r = compile(fuzz('states-350-chain.nlm'));
    const m = await loadTsModel(r.artifacts.ts!);
    const nx = m.dims.nx;
    expect(nx).toBe(352);
    const x = Float64Array.from({ length: nx }, (_, i) => i + 1);
    const p = Float64Array.from([0.5, 2]);
    const out = new Float64Array(nx);
    m.rhs(0, x, p, new Float64Array(0), out);
    const names = m.names.states;
    const at = (n: string): number => names.indexOf(n);
    // d/dt S_k = -S_k + S_(k-1)
    for (const k of [1, 100, 349]) expect(out[at(`S${k}`)]).toBe(-x[at(`S${k}`)]! + x[at(`S${k - 1}`)]!);
    expect(out[at('X1')]).toBe(2 * x[at('X2')]! - 0.5 * x[at('X1')]!);
  }, 180_000);
});

describe.skipIf(!gpu)('large models and the GPU', () => {
  it('Dawn accepts the WGSL of a model the GPU can hold (a 60-state chain), and auto runs a too-large one on the CPU', async () => {
    const chain = ['model chain', 'parameters { k = 0.5 lognormal(omega = 0.3) }', 'states {', ...Array.from({ length: 60 }, (_, i) => `  S${i}(0) = 1`), '}', 'ode {',
      '  d/dt S0 = -k * S0', ...Array.from({ length: 59 }, (_, i) => `  d/dt S${i + 1} = -S${i + 1} + S${i}`), '}', 'observe { y ~ normal(S59, sd = s) }', 'error { s = 0.1 }', ''].join('\n');
    const small = compile(chain);
    expect(small.diagnostics.filter((d) => d.severity === 'error' || d.code === 'W401')).toEqual([]);
    expect((await validateWgsl(gpu!.device, small.artifacts.wgsl!)).filter((m) => m.type === 'error')).toEqual([]);

    const big = compile(fuzz('states-350-chain.nlm'));
    const model = await prepareModel(big);
    const read = readDataset('ID,TIME,DV\n1,1,1\n1,2,1\n', 'd.csv', requirementsFromIr(big.ir!));
    const data = engineDataFromDataset(read.dataset!, big.ir!).data!;
    const selected = await selectEngine(model, data, { rtol: 1e-6, atol: 1e-8, maxSteps: 100_000 }, 'auto');
    try {
      expect(selected.engine.backend).toBe('cpu');
      expect(selected.note).toMatch(/WebGPU cannot run this model: /);
    } finally {
      selected.close();
    }
  }, 180_000);
});
