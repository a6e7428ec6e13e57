/**
 * The README's Neovim configurations (editors/neovim/*.lua, shown there verbatim) against the real server.
 *
 * The 0.7 configuration runs in the `nvim` on the PATH (CI installs Debian 12's package, Neovim 0.7.2): headless, it
 * opens a model with an error and must show the server's diagnostic at the right line, answer hover through the
 * attached client, and format the file on `:write`. The server is `nlmc` from the built dist/ (what `npm ci`'s
 * prepare script builds and `npm link` puts on the PATH), through a wrapper on the test's own PATH.
 *
 * Without `nvim` the Neovim tests are skipped with the reason; with NLMC_REQUIRE_NVIM=1 (set by .ci/run) that is a
 * failure instead.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it, test } from 'vitest';
import { root } from './lsp-client.js';

const configs = ['nlmc-0.7.lua', 'nlmc-0.9.lua', 'nlmc-0.11.lua'].map((name) => ({ name, path: join(root, 'editors/neovim', name) }));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

describe('the Neovim configurations', () => {
  it.each(configs)('README.md shows $name verbatim', ({ path }) => {
    const block = ['```lua', readFileSync(path, 'utf8').trimEnd(), '```'].join('\n');
    expect(readme.includes(block), `README.md lacks this block, as in ${path}:\n${block}`).toBe(true);
  });
});

const nvimVersion = ((): string | undefined => {
  const r = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0] : undefined;
})();
const requireNvim = process.env.NLMC_REQUIRE_NVIM === '1';
if (!nvimVersion) {
  if (requireNvim) {
    test('nvim is on the PATH (NLMC_REQUIRE_NVIM=1)', () => {
      throw new Error('NLMC_REQUIRE_NVIM=1 but there is no `nvim` on the PATH (.ci/run installs Debian\'s neovim package as root)');
    });
  } else {
    console.warn('[neovim tests] skipped: no `nvim` on the PATH (apt-get install neovim; set NLMC_REQUIRE_NVIM=1 to make this a failure)');
  }
}

describe.skipIf(!nvimVersion)(`Neovim (${nvimVersion ?? 'absent'})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'nlmc-nvim-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Neovim's own files (log, shada, state) go into the temporary folder, and nothing of the user's is read.
  const env = {
    ...process.env,
    PATH: `${join(dir, 'bin')}${delimiter}${process.env.PATH ?? ''}`,
    XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data'), XDG_STATE_HOME: join(dir, 'state'), XDG_CACHE_HOME: join(dir, 'cache'),
  };
  const nvim = (args: readonly string[]) => spawnSync('nvim', ['--headless', '-n', '-i', 'NONE', ...args], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });

  it.each(configs)('$name is valid Lua', ({ path }) => {
    const r = nvim(['-u', 'NONE', '-c', `lua local f, e = loadfile(${JSON.stringify(path)}); io.stdout:write(f and 'ok' or e)`, '-c', 'qa!']);
    expect(r.stdout + r.stderr).toBe('ok');
  });

  it('0.7 (Debian 12): diagnostics at the right line, hover, and formatting on save, from the real server', () => {
    const cli = join(root, 'dist/cli/main.js');
    if (!existsSync(cli)) throw new Error(`${cli} is missing: npm ci (or npm run build) builds it`);
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin/nlmc'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} "$@"\n`);
    chmodSync(join(dir, 'bin/nlmc'), 0o755);

    // An unknown name on line 10 (0-based 9), and an indentation the formatter changes.
    const model = [
      'model bad', '', 'parameters {', '  k = 1  lognormal(omega = 0.3)   # elimination rate', '}', '', 'states { X(0) = 1 }', '',
      'ode {', '      d/dt X = -kk * X', '}', '', 'observe { y ~ normal(X, sd = s) }', '', 'error { s = 0.1 }', '',
    ].join('\n');
    writeFileSync(join(dir, 'bad.nlm'), model);
    const result = join(dir, 'result.json');
    const probe = join(dir, 'probe.lua');
    writeFileSync(probe, `
local ok = vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 50)
local diagnostics = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(diagnostics, { lnum = d.lnum, col = d.col, message = d.message, source = d.source, code = d.user_data and d.user_data.lsp and d.user_data.lsp.code })
end
local params = { textDocument = vim.lsp.util.make_text_document_params(), position = { line = 3, character = 2 } }
local hover = vim.lsp.buf_request_sync(0, 'textDocument/hover', params, 10000)
local hovers = {}
for _, r in pairs(hover or {}) do if r.result then table.insert(hovers, r.result.contents.value) end end
local clients = {}
for _, c in pairs(vim.lsp.buf_get_clients(0)) do table.insert(clients, c.name) end
vim.cmd('write')
vim.fn.writefile({ vim.fn.json_encode({ waited = ok, filetype = vim.bo.filetype, commentstring = vim.bo.commentstring, clients = clients, diagnostics = diagnostics, hovers = hovers }) }, ${JSON.stringify(result)})
vim.cmd('qa!')
`);
    const r = nvim(['-u', configs[0]!.path, '-c', `luafile ${probe}`, 'bad.nlm']);
    expect(r.error).toBeUndefined();
    expect(existsSync(result), `nvim wrote no result (status ${r.status}):\n${r.stdout}\n${r.stderr}`).toBe(true);
    const got = JSON.parse(readFileSync(result, 'utf8')) as {
      waited: boolean; filetype: string; commentstring: string; clients: string[]; diagnostics: { lnum: number; col: number; message: string; source: string; code: string }[]; hovers: string[];
    };
    expect(got).toMatchObject({ waited: true, filetype: 'nlm', commentstring: '# %s', clients: ['nlmc'] });
    expect(got.diagnostics).toEqual([{ lnum: 9, col: 16, source: 'nlmc', code: 'E201', message: "unknown name 'kk'; did you mean 'k'?" }]);
    expect(got.hovers).toHaveLength(1);
    expect(got.hovers[0]).toContain('elimination rate');
    // formatting_sync ran before the write: the ode line is indented as `nlmc fmt` does it.
    expect(readFileSync(join(dir, 'bad.nlm'), 'utf8')).toBe(model.replace('      d/dt X', '  d/dt X'));
  });
});
