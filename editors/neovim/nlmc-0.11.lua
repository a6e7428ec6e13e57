-- nlmc for Neovim 0.11 and later. Put this in init.lua, or dofile() it from there.
vim.filetype.add({ extension = { nlm = 'nlm' } })
vim.lsp.config('nlmc', { cmd = { 'nlmc', 'lsp', '--stdio' }, filetypes = { 'nlm' }, root_markers = { '.git' } })
vim.lsp.enable('nlmc')

vim.api.nvim_create_autocmd('FileType', {
  pattern = 'nlm',
  callback = function(args) vim.bo[args.buf].commentstring = '# %s' end,
})
vim.api.nvim_create_autocmd('LspAttach', {
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if not client or client.name ~= 'nlmc' then return end
    -- Completion pops up as you type (after `d/dt `, `(`, ...), from the server's trigger characters.
    vim.lsp.completion.enable(true, client.id, args.buf, { autotrigger = true })
    vim.api.nvim_create_autocmd('BufWritePre', {
      buffer = args.buf,
      callback = function() vim.lsp.buf.format({ bufnr = args.buf, id = client.id, timeout_ms = 2000 }) end,
    })
  end,
})
