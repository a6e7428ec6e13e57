/**
 * `--method auto`: the stiffness test picks the Rosenbrock method for a stiff chain (rate 10⁴ against 0.1, the
 * repro of a fit that ran 48 s and ended with a NaN ELBO) and the explicit method for pk, and says why.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { readDataset, requirementsFromIr } from '../../runtime/data/index.js';
import { fitContextFor } from '../../runtime/infer/fit-context.js';

async function decide(model: string, data: string, choice: 'auto' | 'explicit' | 'rosenbrock') {
  const compiled = compile(readFileSync(new URL(`../../${model}`, import.meta.url), 'utf8'));
  const read = readDataset(readFileSync(new URL(`../../${data}`, import.meta.url), 'utf8'), data, requirementsFromIr(compiled.ir!));
  return fitContextFor(compiled, read.dataset!, undefined, choice);
}

describe('choosing the integration method', () => {
  it('a stiff model gets the Rosenbrock method, with the subjects that needed it named', async () => {
    const { ctx, decision } = await decide('test/fixtures/stiff/stiff.nlm', 'test/fixtures/stiff/stiff.csv', 'auto');
    expect(decision.method).toBe('rosenbrock');
    expect(ctx.model.method).toBe('rosenbrock');
    expect(decision.reason).toMatch(/^method: Rosenbrock-W \(ROS34PW2\); auto: the model is stiff — the explicit method needed more than 20000 steps for subjects 1, 2, 3, 4, 5, …/);
  }, 60_000);

  it('pk stays explicit; an explicit choice is kept as asked', async () => {
    const auto = await decide('examples/pk/pk.nlm', 'examples/pk/data.csv', 'auto');
    expect(auto.decision.method).toBe('explicit');
    expect(auto.decision.reason).toMatch(/every subject integrates within 20000 explicit steps/);
    const asked = await decide('test/fixtures/stiff/stiff.nlm', 'test/fixtures/stiff/stiff.csv', 'explicit');
    expect(asked.ctx.model.method).toBe('explicit');
    expect(asked.decision.reason).toBe('method: explicit (Dormand–Prince 5(4)), as asked');
  }, 60_000);
});
