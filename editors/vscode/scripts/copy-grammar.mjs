// Copies the TextMate grammar kept in grammar/textmate/ (generated from the lexer's tokens) into the extension.
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../../../grammar/textmate/nlm.tmLanguage.json', import.meta.url));
const to = fileURLToPath(new URL('../syntaxes/nlm.tmLanguage.json', import.meta.url));
mkdirSync(fileURLToPath(new URL('../syntaxes/', import.meta.url)), { recursive: true });
copyFileSync(from, to);
console.log(`copied the grammar to ${to}`);
