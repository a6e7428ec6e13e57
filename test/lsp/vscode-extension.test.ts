/**
 * The VS Code extension's manifest and files agree with each other and with the grammar (packaging itself is
 * `npm run package:vscode`, which needs the npm registry, so it is not run here).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildGrammar } from '../../grammar/textmate/nlm-grammar.js';
import { root } from './lsp-client.js';

const dir = join(root, 'editors/vscode');
const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

describe('editors/vscode', () => {
  it('contributes the language, its configuration and the grammar kept in grammar/textmate', () => {
    expect(manifest.contributes.languages).toEqual([expect.objectContaining({ id: 'nlm', extensions: ['.nlm'], configuration: './language-configuration.json' })]);
    expect(manifest.contributes.grammars).toEqual([{ language: 'nlm', scopeName: buildGrammar().scopeName, path: './syntaxes/nlm.tmLanguage.json' }]);
    // The grammar is copied in when packaging (vscode:prepublish), from the generated file.
    expect(manifest.scripts['vscode:prepublish']).toBe('node scripts/copy-grammar.mjs');
    expect(readFileSync(join(dir, 'scripts/copy-grammar.mjs'), 'utf8')).toContain('grammar/textmate/nlm.tmLanguage.json');
    expect(existsSync(join(root, 'grammar/textmate/nlm.tmLanguage.json'))).toBe(true);
  });

  it('has a language configuration with comments and brackets', () => {
    const config = JSON.parse(readFileSync(join(dir, 'language-configuration.json'), 'utf8'));
    expect(config.comments).toEqual({ lineComment: '#' });
    expect(config.brackets).toEqual([['{', '}'], ['[', ']'], ['(', ')']]);
  });

  it('starts `nlmc lsp --stdio` through vscode-languageclient, a dependency of its own', () => {
    const main = readFileSync(join(dir, manifest.main), 'utf8');
    expect(main).toContain("require('vscode-languageclient/node')");
    expect(manifest.dependencies).toHaveProperty('vscode-languageclient');
    expect(manifest.devDependencies).toHaveProperty('@vscode/vsce');
    expect(manifest.contributes.configuration.properties['nlm.server.args'].default).toEqual(['lsp', '--stdio']);
    expect(manifest.activationEvents).toEqual(['onLanguage:nlm']);
  });

  it('is packaged by `npm run package:vscode`, and the .vsix is never committed', () => {
    const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(rootManifest.scripts['package:vscode']).toBe('node editors/vscode/scripts/package.mjs');
    const script = readFileSync(join(dir, 'scripts/package.mjs'), 'utf8');
    expect(script).toContain("'ci' : 'install'");
    expect(script).toContain("'@vscode', 'vsce'");
    expect(readFileSync(join(root, '.gitignore'), 'utf8').split('\n')).toContain('*.vsix');
  });
});
