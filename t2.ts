import { readFileSync } from 'node:fs';
import { parseModel } from './grammar/parse.js';
import { checkModel } from './compiler/check/check.js';
for (const f of process.argv.slice(2)) {
  const src = readFileSync(f, 'utf8');
  const p = parseModel(src);
  const c = checkModel(p.ast);
  console.log(f, [...p.diagnostics, ...c.diagnostics].map(d => `${d.code} ${d.range.start.line}:${d.range.start.column} ${d.message}`));
}
