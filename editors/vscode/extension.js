// The NLM extension: the TextMate grammar and language configuration are declared in package.json; this starts
// `nlmc lsp --stdio` and connects VS Code to it.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

/** @type {LanguageClient | undefined} */
let client;

/** The server command: the setting, or the workspace's own nlmc when the setting is left at its default. */
function serverCommand() {
  const config = vscode.workspace.getConfiguration('nlm');
  const configured = config.get('server.path', 'nlmc');
  if (configured === 'nlmc') {
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const local = join(folder.uri.fsPath, 'node_modules', '.bin', process.platform === 'win32' ? 'nlmc.cmd' : 'nlmc');
      if (existsSync(local)) return local;
    }
  }
  return configured;
}

async function activate(context) {
  const args = vscode.workspace.getConfiguration('nlm').get('server.args', ['lsp', '--stdio']);
  const run = { command: serverCommand(), args, options: { shell: process.platform === 'win32' } };
  client = new LanguageClient('nlm', 'NLM Language Server', { run, debug: run }, {
    documentSelector: [{ scheme: 'file', language: 'nlm' }, { scheme: 'untitled', language: 'nlm' }],
  });
  context.subscriptions.push({ dispose: () => client?.stop() });
  try {
    await client.start();
  } catch (e) {
    void vscode.window.showErrorMessage(`NLM: could not start the language server '${run.command} ${args.join(' ')}': ${e instanceof Error ? e.message : e}. Set nlm.server.path.`);
  }
}

async function deactivate() {
  if (client) await client.stop();
}

module.exports = { activate, deactivate };
