/**
 * Timing of the encoders' forward + backward on a fit-sized batch: `npx tsx test/nn/bench-encoder.ts`.
 * 100 sequences of up to 10 steps (lengths 6–10; and up to 20), 4 features per step, hidden 32. Prints the median
 * of 7 rounds of CPU time (not wall time), so other processes on a busy machine disturb it less.
 */
import * as nn from '../../runtime/nn/index.js';

function batch(B: number, T: number, F: number, seed: number): { x: nn.Tensor; mask: nn.Tensor } {
  const rng = new nn.Rng(seed);
  const seqs = Array.from({ length: B }, () => Float64Array.from({ length: (6 + rng.int(T - 5)) * F }, () => rng.normal()));
  const { x, mask } = nn.padSequences(seqs, F, T);
  return { x, mask };
}

/** Median over 7 rounds of the mean CPU time (user + system) of `reps` calls, after a warm-up. */
function time(label: string, step: () => void, reps = 10): void {
  for (let i = 0; i < 10; i++) step();
  const rounds: number[] = [];
  for (let r = 0; r < 7; r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) step();
    const c = process.cpuUsage(c0);
    rounds.push((c.user + c.system) / 1000 / reps);
  }
  rounds.sort((a, b) => a - b);
  console.log(`${label.padEnd(72)} ${rounds[3]!.toFixed(2)} ms`);
}

const B = 100, T = 10, F = 4, H = 32;
const { x, mask } = batch(B, T, F, 1);
const rng = new nn.Rng(7);

const gru = new nn.Gru({ inputSize: F, hiddenSize: H }, rng);
const head = new nn.Linear({ inFeatures: H, outFeatures: 4, init: { normalStd: 1e-3 } }, rng);
const gruParams = [...gru.parameters(), ...head.parameters()];
time(`GRU(H=${H}) last state → Linear, fwd+bwd, B=${B} T=${T}`, () => {
  for (const p of gruParams) p.zeroGrad();
  const y = head.forward(gru.forward(x, mask));
  nn.backward(nn.sum(nn.square(y)));
});
time(`GRU(H=${H}) last state → Linear, forward only (noGrad)`, () => nn.noGrad(() => head.forward(gru.forward(x, mask))));
const long = batch(B, 20, F, 2);
time(`GRU(H=${H}) last state → Linear, fwd+bwd, B=${B} T=20`, () => {
  for (const p of gruParams) p.zeroGrad();
  nn.backward(nn.sum(nn.square(head.forward(gru.forward(long.x, long.mask)))));
});
const h = nn.full([B, H], 0.3);
time(`matmul [${B}, ${H}] · [${H}, ${3 * H}] forward`, () => nn.matmul(h, gru.wh), 100);

const pool = new nn.AttentionPooling({ features: H }, rng);
time(`GRU states → attention pooling → Linear, fwd+bwd`, () => {
  const y = head.forward(pool.forward(gru.forwardSequence(x, mask).sequence!, mask));
  nn.backward(nn.sum(nn.square(y)));
});

const conv = new nn.Conv1d({ inChannels: F, outChannels: 16, kernelSize: 3 }, rng);
const pool16 = new nn.AttentionPooling({ features: 16 }, rng);
const head16 = new nn.Linear({ inFeatures: 16, outFeatures: 4 }, rng);
time(`Conv1d(k=3, 16) → GELU → attention pooling → Linear, fwd+bwd`, () => {
  const y = head16.forward(pool16.forward(nn.gelu(conv.forward(x, mask)), mask));
  nn.backward(nn.sum(nn.square(y)));
});

const embed = new nn.Linear({ inFeatures: F, outFeatures: H }, rng);
const block = new nn.TransformerBlock({ dModel: H, heads: 4, ffHidden: 2 * H }, rng);
time(`Linear → Transformer block (d=${H}, 4 heads) → pooling → Linear, fwd+bwd`, () => {
  const y = head.forward(pool.forward(block.forward(embed.forward(x), mask), mask));
  nn.backward(nn.sum(nn.square(y)));
});
