// Simulates data for crossover.nlm from the closed form of the one-compartment model with first-order absorption
// (nothing of nlmc), with its own seeded generator: per subject η for ka, CL, V; per period κ for CL; weight drifting
// between periods. Periods start a week apart (0, 168, 336 h): what remains of the previous period's dose after a
// week (under 1e-6 of its peak for these parameters) is left out, as a washout assumes.
//   C(t) = D ka / (V (ka − k)) (e^{−k t} − e^{−ka t}),  k = CL (WT/70)^0.75 / V,  t the time since the period's dose
//   node simulate.mjs [subjects] [seed] > data.csv
const [n = '36', seedArg = '5'] = process.argv.slice(2);
const truth = { ka: 1.0, CL: 5, V: 50, omega_ka: 0.3, omega_CL: 0.3, omega_iov_CL: 0.15, omega_V: 0.2, a: 0.05, b: 0.1 };
const D = 200;
let state = (Number(seedArg) * 2654435761) >>> 0 || 1;
const uniform = () => { // xorshift32
  state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
  return (state + 0.5) / 2 ** 32;
};
const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
const lines = ['ID,TIME,DV,AMT,EVID,MDV,CMT,OCC,WT'];
for (let id = 1; id <= Number(n); id++) {
  const ka = truth.ka * Math.exp(truth.omega_ka * normal());
  const etaCL = truth.omega_CL * normal();
  const V = truth.V * Math.exp(truth.omega_V * normal());
  let WT = Math.round(50 + 50 * uniform());
  for (let occ = 1; occ <= 3; occ++) {
    const start = 168 * (occ - 1);
    if (occ > 1) WT = Math.round(10 * WT * (1 + 0.04 * (2 * uniform() - 1))) / 10;
    const k = (truth.CL * Math.exp(etaCL + truth.omega_iov_CL * normal()) * (WT / 70) ** 0.75) / V;
    lines.push(`${id},${start},.,${D},1,1,1,${occ},${WT}`);
    for (const t of [0.5, 1, 2, 4, 8, 12, 24]) {
      const f = ((D * ka) / (V * (ka - k))) * (Math.exp(-k * t) - Math.exp(-ka * t));
      const sd = Math.sqrt(truth.a ** 2 + (truth.b * f) ** 2); // combined(a, b)
      lines.push(`${id},${start + t},${(f + sd * normal()).toPrecision(6)},0,0,0,1,${occ},${WT}`);
    }
  }
}
process.stdout.write(lines.join('\n') + '\n');
