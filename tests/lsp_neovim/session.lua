-- One editing session in Neovim (0.7 or later) with its built-in LSP client
-- against `studioflow lsp`, driven by tests/lsp_neovim.rs:
--
--   STUDIOFLOW_BIN=... STUDIOFLOW_NVIM_SCRIPT=dir/flow.script \
--   STUDIOFLOW_NVIM_OUT=dir/out.json nvim --headless --clean -u NONE -S session.lua
--
-- It opens the script, attaches the client, waits for the diagnostics, asks
-- for a quick fix, completion, hover, symbols, a rename and formatting (each
-- edit applied by Neovim itself, so its didChange messages reach the
-- server), writes what it saw as JSON to STUDIOFLOW_NVIM_OUT and quits.
-- Every wait is bounded; an error is written to the JSON (`error`) too.

local out = {}
local steps = {}
out.steps = steps

local function step(name)
  table.insert(steps, name)
end

local function lines(bufnr)
  return vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
end

-- The (0-based) line and UTF-16 character of the first `needle` in the
-- buffer, plus `shift` characters (ASCII after the match).
local function position_of(bufnr, needle, shift)
  for i, line in ipairs(lines(bufnr)) do
    local at = string.find(line, needle, 1, true)
    if at then
      local _, utf16 = vim.str_utfindex(line, at - 1)
      return { line = i - 1, character = utf16 + (shift or 0) }, at - 1
    end
  end
  error("not in the buffer: " .. needle)
end

-- The one client's answer to a request: result, or error.
local function request(bufnr, method, params)
  local answers, err = vim.lsp.buf_request_sync(bufnr, method, params, 10000)
  if not answers then
    error(method .. ": no answer (" .. tostring(err) .. ")")
  end
  for _, answer in pairs(answers) do
    if answer.err or answer.error then
      return nil, answer.err or answer.error
    end
    return answer.result
  end
  return nil
end

local function wait_for(what, condition)
  if not vim.wait(10000, condition, 20) then
    error("timed out waiting for " .. what)
  end
end

local function diagnostics(bufnr)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(found, {
      lnum = d.lnum,
      col = d.col,
      end_col = d.end_col,
      severity = d.severity,
      code = d.code,
      message = d.message,
      source = d.source,
    })
  end
  table.sort(found, function(a, b)
    if a.lnum ~= b.lnum then
      return a.lnum < b.lnum
    end
    return a.col < b.col
  end)
  return found
end

local function has_code(bufnr, code)
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.code == code then
      return true
    end
  end
  return false
end

local function session()
  local bin = assert(os.getenv("STUDIOFLOW_BIN"), "STUDIOFLOW_BIN")
  local path = assert(os.getenv("STUDIOFLOW_NVIM_SCRIPT"), "STUDIOFLOW_NVIM_SCRIPT")
  local root = vim.fn.fnamemodify(path, ":h")

  vim.cmd("edit " .. vim.fn.fnameescape(path))
  local bufnr = vim.api.nvim_get_current_buf()
  local uri = vim.uri_from_bufnr(bufnr)
  out.uri = uri

  local shown = {}
  -- What the server published last, as it sent it (version, raw diagnostics).
  local published = { version = -1, diagnostics = {} }
  local client_id = vim.lsp.start_client({
    cmd = { bin, "lsp" },
    root_dir = root,
    name = "studioflow",
    get_language_id = function()
      return "studioflow"
    end,
    handlers = {
      ["textDocument/publishDiagnostics"] = function(err, result, ctx, config)
        if result and result.uri == uri then
          published = { version = result.version or -1, diagnostics = result.diagnostics }
        end
        return vim.lsp.diagnostic.on_publish_diagnostics(err, result, ctx, config)
      end,
      ["window/showMessage"] = function(_, result)
        table.insert(shown, result.message)
      end,
    },
  })
  assert(client_id, "the client started")
  step("started")
  assert(vim.lsp.buf_attach_client(bufnr, client_id), "the client attached")
  wait_for("initialize", function()
    local client = vim.lsp.get_client_by_id(client_id)
    return client ~= nil and client.initialized
  end)
  local client = vim.lsp.get_client_by_id(client_id)
  out.position_encoding = client.server_capabilities and client.server_capabilities.positionEncoding
  out.offset_encoding = client.offset_encoding
  step("initialized")

  -- 1. Diagnostics, through the editor's own API.
  wait_for("diagnostics", function()
    return #vim.diagnostic.get(bufnr) > 0
  end)
  out.diagnostics = diagnostics(bufnr)
  local _, dne_byte = position_of(bufnr, "-> dne", 3)
  out.dne_byte_col = dne_byte + 3
  step("diagnostics")

  -- 2. The quick fix for the typo, applied by Neovim (a didChange), and
  -- the diagnostics published again without it.
  out.published_version = published.version
  local typo
  for _, d in ipairs(published.diagnostics) do
    if d.code == "missing-target" then
      typo = d
    end
  end
  assert(typo, "a missing-target diagnostic")
  local actions = request(bufnr, "textDocument/codeAction", {
    textDocument = { uri = uri },
    range = typo.range,
    context = { diagnostics = { typo } },
  })
  out.code_actions = actions
  assert(actions and actions[1] and actions[1].edit, "a quick fix with an edit")
  vim.lsp.util.apply_workspace_edit(actions[1].edit, client.offset_encoding)
  out.after_fix = lines(bufnr)
  wait_for("the diagnostics without the typo", function()
    return not has_code(bufnr, "missing-target")
  end)
  out.diagnostics_after_fix = diagnostics(bufnr)
  step("quick fix")

  -- 3. Completion after `-> ` and hover on an action type (the Rust side
  -- checks their content).
  local completion, completion_error = request(bufnr, "textDocument/completion", {
    textDocument = { uri = uri },
    position = position_of(bufnr, "Default -> greet", 11),
    context = { triggerKind = 1 },
  })
  out.completion = completion or vim.NIL
  out.completion_error = completion_error
  local hover, hover_error = request(bufnr, "textDocument/hover", {
    textDocument = { uri = uri },
    position = position_of(bufnr, "Assign", 2),
  })
  out.hover = hover or vim.NIL
  out.hover_error = hover_error
  step("completion and hover")

  -- 4. The outline.
  local symbols, symbols_error = request(bufnr, "textDocument/documentSymbol", {
    textDocument = { uri = uri },
  })
  out.symbols = symbols
  out.symbols_error = symbols_error
  step("symbols")

  -- 5. Rename `greet` (at a branch that goes to it) to `welcome`, applied by
  -- Neovim; the server sees the edit as incremental changes.
  local at_target = position_of(bufnr, "-> greet", 4)
  local edit, rename_error = request(bufnr, "textDocument/rename", {
    textDocument = { uri = uri },
    position = at_target,
    newName = "welcome",
  })
  out.rename = edit
  out.rename_error = rename_error
  assert(edit, "a workspace edit")
  vim.lsp.util.apply_workspace_edit(edit, "utf-16")
  out.after_rename = lines(bufnr)
  local definition = request(bufnr, "textDocument/definition", {
    textDocument = { uri = uri },
    position = position_of(bufnr, "-> welcome", 4),
  })
  out.definition_after_rename = definition
  step("rename")

  -- 6. Formatting, applied by Neovim.
  local edits, formatting_error = request(bufnr, "textDocument/formatting", {
    textDocument = { uri = uri },
    options = { tabSize = 2, insertSpaces = true },
  })
  out.formatting = edits
  out.formatting_error = formatting_error
  if edits then
    vim.lsp.util.apply_text_edits(edits, bufnr, client.offset_encoding)
  end
  out.after_format = lines(bufnr)
  local version = vim.lsp.util.buf_versions[bufnr]
  out.final_version = version
  wait_for("the diagnostics of the last version", function()
    return published.version == version
  end)
  out.last_published_version = published.version
  out.diagnostics_after_format = diagnostics(bufnr)
  out.shown = shown
  step("formatting")

  -- 7. Shut the server down as Neovim does when it quits.
  vim.lsp.stop_client(client_id)
  wait_for("the server to stop", function()
    return vim.lsp.client_is_stopped(client_id)
  end)
  step("stopped")
end

local ok, err = pcall(session)
if not ok then
  out.error = tostring(err)
end
vim.fn.writefile({ vim.fn.json_encode(out) }, assert(os.getenv("STUDIOFLOW_NVIM_OUT")))
vim.cmd("qa!")
