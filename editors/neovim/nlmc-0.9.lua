-- nlmc for Neovim 0.9–0.10. Put this in init.lua, or dofile() it from there.
vim.filetype.add({ extension = { nlm = 'nlm' } })

vim.api.nvim_create_autocmd('FileType', {
  pattern = 'nlm',
  callback = function(args)
    vim.bo[args.buf].commentstring = '# %s'
    -- vim.lsp.start reuses the running server for buffers with the same root.
    vim.lsp.start({ name = 'nlmc', cmd = { 'nlmc', 'lsp', '--stdio' }, root_dir = vim.fs.dirname(args.file) })
    local map = function(keys, fn) vim.keymap.set('n', keys, fn, { buffer = args.buf }) end
    map('K', vim.lsp.buf.hover) -- the default on 0.10
    map('gd', vim.lsp.buf.definition)
    map('gr', vim.lsp.buf.references)
    map('<leader>rn', vim.lsp.buf.rename)
    map('<leader>ca', vim.lsp.buf.code_action)
  end,
})
vim.api.nvim_create_autocmd('BufWritePre', {
  pattern = '*.nlm',
  callback = function(args) vim.lsp.buf.format({ bufnr = args.buf, timeout_ms = 2000 }) end,
})
