-- nlmc for Neovim 0.7–0.8 (Debian 12 ships 0.7.2). Put this in init.lua, or dofile() it from there.
vim.g.do_filetype_lua = 1 -- 0.7 reads vim.filetype.add only with this set
vim.filetype.add({ extension = { nlm = 'nlm' } })

local client_id -- one server for every .nlm buffer
vim.api.nvim_create_autocmd('FileType', {
  pattern = 'nlm',
  callback = function(args)
    vim.bo[args.buf].commentstring = '# %s'
    if not (client_id and vim.lsp.get_client_by_id(client_id)) then
      client_id = vim.lsp.start_client({ name = 'nlmc', cmd = { 'nlmc', 'lsp', '--stdio' }, root_dir = vim.fn.getcwd() })
    end
    if not client_id then return end -- start_client has said why (is nlmc on the PATH?)
    vim.lsp.buf_attach_client(args.buf, client_id)
    vim.bo[args.buf].omnifunc = 'v:lua.vim.lsp.omnifunc' -- completion with <C-x><C-o>
    local map = function(keys, fn) vim.keymap.set('n', keys, fn, { buffer = args.buf }) end
    map('K', vim.lsp.buf.hover)
    map('gd', vim.lsp.buf.definition)
    map('gr', vim.lsp.buf.references)
    map('<leader>rn', vim.lsp.buf.rename)
    map('<leader>ca', vim.lsp.buf.code_action)
  end,
})
vim.api.nvim_create_autocmd('BufWritePre', {
  pattern = '*.nlm',
  callback = function() vim.lsp.buf.formatting_sync(nil, 2000) end, -- `nlmc fmt`'s layout on save
})
