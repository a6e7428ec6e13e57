/**
 * A synthetic model of a given number of lines for the language-server benchmark, written like the examples (about six
 * tokens a line, as tgfb): a documented parameter table, states, definitions and equations with comment lines and
 * blank lines between groups, dosing and observations. Valid, without warnings, and the same for the same size.
 */
export function syntheticModel(lines = 1000): string {
  // Per group of 10 states: 10 state lines, 25 parameters, 30 definitions, 10 equations, 4 comment lines, 4 blank lines.
  const groups = Math.max(1, Math.round((lines - 40) / 83));
  const params: string[] = [];
  const states: string[] = [];
  const ode: string[] = [];
  for (let g = 0; g < groups; g++) {
    params.push(`  # group ${g}: rate constants and saturation levels`);
    for (let i = 0; i < 25; i++) {
      const k = g * 25 + i;
      const mod = i % 5 === 0 ? 'lognormal(omega = 0.3)' : i % 5 === 1 ? 'lognormal' : 'lognormal fixed';
      params.push(`  k${k}${' '.repeat(Math.max(1, 6 - String(k).length))}= ${(0.05 + (i % 9) * 0.05).toFixed(2)}  ${mod.padEnd(22)}   # rate ${k} of group ${g}`);
    }
    params.push('');
    states.push(`  # group ${g}`);
    for (let i = 0; i < 10; i++) states.push(`  X${g * 10 + i}(0) = ${i === 0 ? 'dose0' : '0'}   # compartment ${g * 10 + i}`);
    states.push('');
    ode.push(`  # group ${g}: fluxes`);
    for (let i = 0; i < 30; i++) {
      const r = g * 30 + i;
      const x = g * 10 + (i % 10);
      const y = g * 10 + ((i + 1) % 10);
      ode.push(i % 3 === 2 ? `  r${r} = r${r - 1} - r${r - 2} * k${g * 25 + (i % 25)}` : `  r${r} = k${g * 25 + (i % 25)} * X${x} / (k${g * 25 + ((i + 7) % 25)} + X${y})`);
    }
    ode.push(`  # group ${g}: balances`);
    for (let i = 0; i < 10; i++) {
      const s = g * 10 + i;
      const r = g * 30 + i * 3;
      ode.push(`  d/dt X${s} = r${r} - r${r + 1} + r${r + 2}${g > 0 && i === 0 ? ` + r${r - 1}` : ''}`);
    }
    ode.push('');
  }
  const out = [
    '# A synthetic model for the language-server benchmark (bench/lsp.ts): groups of ten compartments',
    '# exchanging mass through saturable fluxes.',
    'model synthetic',
    '',
    'covariates {',
    '  WT "kg"   # body weight',
    '}',
    '',
    'constants {',
    '  dose0 = 100   # initial amount',
    '}',
    '',
    'parameters {',
    ...params.slice(0, -1),
    '  beta_WT = 0.75   # allometric exponent',
    '}',
    '',
    'states {',
    ...states.slice(0, -1),
    '}',
    '',
    'ode {',
    ...ode.slice(0, -1),
    '}',
    '',
    'observe {',
    '  y ~ normal(X0 * (WT / 70)^beta_WT, sd = combined(a = 0.1, b = 0.2))',
    '  z ~ normal(X1, sd = sigma)',
    '}',
    '',
    'error {',
    '  sigma = 0.5',
    '}',
  ];
  return `${out.join('\n')}\n`;
}
