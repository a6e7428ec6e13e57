/**
 * `mlp(inputs..., hidden = [h1, h2, ...], activation = tanh, l2 = λ)` unrolled into scalar IR: every weight becomes a
 * population parameter (estimated, no random effect), so differentiation, both emitters and the fit treat a
 * neural term like any other part of the model. Sizes are compile-time constants, as the GPU contract requires.
 */
import type { Expr } from '../../grammar/ast.js';
import type { NodeId } from '../ir/expr.js';
import type { IrParameter } from '../ir/model-ir.js';
import type { ExprBuilder } from '../rewrite/builder.js';
import { MLP_DEFAULTS } from '../../stdlib/builtins.js';

/** mulberry32: a small deterministic generator, so a model always starts from the same weights. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * Lowers one mlp term. `addParameter` registers a weight and returns its node. Hidden layers start from
 * Glorot-uniform weights; the output layer starts near zero (sd 1e-3, seed 001 supplementary 5.1) so that the
 * neural term is initially a small perturbation of the mechanistic model.
 */
export function lowerMlp(
  b: ExprBuilder,
  e: Extract<Expr, { kind: 'call' }>,
  inputs: readonly NodeId[],
  prefix: string,
  addParameter: (p: IrParameter) => NodeId,
): NodeId {
  const hiddenArg = e.args.find((a) => a.name === 'hidden')?.value;
  const hidden = hiddenArg?.kind === 'list' ? hiddenArg.items.map((i) => (i.kind === 'number' ? i.value : 1)) : [...MLP_DEFAULTS.hidden];
  const activationArg = e.args.find((a) => a.name === 'activation')?.value;
  const activation = activationArg?.kind === 'name' ? activationArg.name : MLP_DEFAULTS.activation;
  const l2Arg = e.args.find((a) => a.name === 'l2')?.value;
  const l2 = l2Arg?.kind === 'number' && l2Arg.value > 0 ? l2Arg.value : undefined;
  const random = rng(hashString(prefix));
  // The penalty is weight decay: on the weights, not the biases (a bias sets a unit's offset, not its scale).
  const weight = (name: string, init: number): NodeId =>
    addParameter({ name: `${prefix}_${name}`, initial: init, estimationInitial: init, fixed: false, transform: { kind: 'normal' }, neural: true, ...(l2 && name.startsWith('w') ? { l2 } : {}) });
  let layer: NodeId[] = [...inputs];
  const widths = [...hidden, 1];
  widths.forEach((width, l) => {
    const last = l === widths.length - 1;
    const limit = Math.sqrt(6 / (layer.length + width));
    const next: NodeId[] = [];
    for (let j = 0; j < width; j++) {
      let acc = weight(`b${l + 1}_${j + 1}`, 0);
      layer.forEach((input, i) => {
        const init = last ? 1e-3 * (2 * random() - 1) * Math.sqrt(3) : limit * (2 * random() - 1);
        acc = b.add(acc, b.mul(weight(`w${l + 1}_${j + 1}_${i + 1}`, init), input));
      });
      next.push(last ? acc : b.call(activation, [acc]));
    }
    layer = next;
  });
  return layer[0]!;
}
