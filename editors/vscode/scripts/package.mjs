// `npm run package:vscode` (from the repository root): installs the extension's own dependencies in this folder and
// packages it with the official @vscode/vsce into editors/vscode/nlm-<version>.vsix. Works on a fresh checkout.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (cmd, args) => execFileSync(cmd, args, { cwd: dir, stdio: 'inherit', shell: process.platform === 'win32' });

run(npm, [existsSync(join(dir, 'package-lock.json')) ? 'ci' : 'install', '--no-audit', '--no-fund']);
const { name, version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const out = join(dir, `${name}-${version}.vsix`);
run(process.execPath, [join(dir, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--allow-missing-repository', '--out', out]);
console.log(`packaged ${out}`);
