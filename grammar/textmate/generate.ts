/** `npm run gen:textmate`: writes grammar/textmate/nlm.tmLanguage.json from the lexer's tokens (see nlm-grammar.ts). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { grammarJson } from './nlm-grammar.js';

const path = fileURLToPath(new URL('./nlm.tmLanguage.json', import.meta.url));
writeFileSync(path, grammarJson());
process.stdout.write(`wrote ${path}\n`);
