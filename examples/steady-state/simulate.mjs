// Simulates data for steady-state.nlm from the closed-form steady state of a one-compartment model with
// first-order absorption under repeated oral doses D every τ (nothing of nlmc):
//   C(t) = D ka / (V (ka − k)) [e^{−k t}/(1 − e^{−k τ}) − e^{−ka t}/(1 − e^{−ka τ})],  k = CL/V,  0 ≤ t ≤ τ,
// with its own seeded generator. 60 patients, weights 45–110 kg, correlated η_CL, η_V (ρ = 0.5), 6 samples over
// one interval (jittered around 0.5, 1, 2, 4, 8, 12 h).
//   node simulate.mjs [patients] [seed] > data.csv      (--mean: the noiseless concentrations instead)
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const noiseless = process.argv.includes('--mean');
const [n = '60', seedArg = '21'] = args;
const truth = { ka: 1.2, CL: 4, V: 40, omega_ka: 0.3, omega_CL: 0.3, omega_V: 0.25, corr_CL_V: 0.5, a: 0.05, b: 0.1 };
const D = 100;
const tau = 12;
let state = (Number(seedArg) * 2654435761) >>> 0 || 1;
const uniform = () => { // xorshift32
  state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
  return (state + 0.5) / 2 ** 32;
};
const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
const lines = ['ID,TIME,DV,AMT,EVID,MDV,CMT,SS,II,WT'];
for (let id = 1; id <= Number(n); id++) {
  const WT = Math.round(45 + 65 * uniform());
  const [z1, z2, z3] = [normal(), normal(), normal()];
  const ka = truth.ka * Math.exp(truth.omega_ka * z1);
  const CL = truth.CL * (WT / 70) ** 0.75 * Math.exp(truth.omega_CL * z2);
  const V = truth.V * (WT / 70) * Math.exp(truth.omega_V * (truth.corr_CL_V * z2 + Math.sqrt(1 - truth.corr_CL_V ** 2) * z3));
  const k = CL / V;
  lines.push(`${id},0,.,${D},1,1,1,1,${tau},${WT}`);
  for (const nominal of [0.5, 1, 2, 4, 8, 12]) {
    const t = nominal === 12 ? 12 : Math.round(100 * nominal * (1 + 0.1 * (2 * uniform() - 1))) / 100;
    const f = ((D * ka) / (V * (ka - k))) * (Math.exp(-k * t) / (1 - Math.exp(-k * tau)) - Math.exp(-ka * t) / (1 - Math.exp(-ka * tau)));
    const sd = Math.sqrt(truth.a ** 2 + (truth.b * f) ** 2); // combined(a, b): NONMEM's additive + proportional
    lines.push(`${id},${t},${(noiseless ? f : f + sd * normal()).toPrecision(6)},0,0,0,1,0,0,${WT}`);
  }
}
process.stdout.write(lines.join('\n') + '\n');
