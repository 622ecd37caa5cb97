// Checks the TextMate grammar (syntaxes/studioflow.tmLanguage.json) without
// VS Code: vscode-textmate with the Oniguruma regex engine VS Code uses
// tokenizes a sample script, and chosen tokens must carry the expected scopes.
// Then every .script file of the repository (scripts/, docs' examples are not
// files) must tokenize back to the top level: no region left open.
// Run by `npm test`; exits non-zero on any failure.
"use strict";

const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const root = path.join(__dirname, "..");
const grammarPath = path.join(root, "syntaxes", "studioflow.tmLanguage.json");

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  const wasmBin = wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength);
  await oniguruma.loadWASM(wasmBin);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== "source.studioflow") return null;
      return vsctm.parseRawGrammar(fs.readFileSync(grammarPath, "utf8"), grammarPath);
    },
  });
  const grammar = await registry.loadGrammar("source.studioflow");
  if (!grammar) throw new Error("the grammar did not load");
  return grammar;
}

function tokenize(grammar, text) {
  const lines = text.split(/\r?\n/);
  let state = vsctm.INITIAL;
  const tokenized = lines.map((line) => {
    const result = grammar.tokenizeLine(line, state);
    state = result.ruleStack;
    return result.tokens.map((token) => ({
      text: line.slice(token.startIndex, token.endIndex),
      start: token.startIndex,
      end: token.endIndex,
      scopes: token.scopes,
    }));
  });
  return { lines, tokenized, state };
}

// The sample: one line per construct the grammar must know.
const sample = [
  /*  0 */ '// A sample script: comments run to the end of the line',
  /*  1 */ 'script "Sample flow" type Phone inputs Tier, LastAgent',
  /*  2 */ 'studio { BusNo = 4606137 ScriptName = "\\\\Sample" }',
  /*  3 */ '',
  /*  4 */ 'start: Begin {',
  /*  5 */ '  Default -> greet',
  /*  6 */ '}',
  /*  7 */ '',
  /*  8 */ 'greet: Assign "Build greeting" {   // a trailing comment',
  /*  9 */ '  Variable = Greeting',
  /* 10 */ '  Value = "Hello {upper(Name)}, {{literal}} {count + 1} items"',
  /* 11 */ '  Expression = count > 3 and not order.done or Tier = "GOLD"',
  /* 12 */ '  When = #"02/09/2023 8:00 AM"',
  /* 13 */ '  Case "gold" -> done',
  /* 14 */ '  case -2 -> done',
  /* 15 */ '  Default -> calc',
  /* 16 */ '  studio {',
  /* 17 */ '    ActionID = 4',
  /* 18 */ '    Parameters = ["a", "{skill}"]',
  /* 19 */ '  }',
  /* 20 */ '}',
  /* 21 */ '',
  /* 22 */ 'calc: Snippet "Build payload" {',
  /* 23 */ '  Data = """',
  /* 24 */ '    // Snippet comment',
  /* 25 */ '    FUNCTION Greeting(name) { RETURN "Hello {name}" }',
  /* 26 */ '    IF isnull(Cart) = true { Cart = \'a|b\' } ELSE { TRACE $"x}y" }',
  /* 27 */ '    FOREACH line IN Cart { total = total + line.price }',
  /* 28 */ '    global:Shared = p.asjson()',
  /* 29 */ '  """',
  /* 30 */ '  Default -> done',
  /* 31 */ '}',
  /* 32 */ '',
  /* 33 */ 'done: End',
].join("\n");

let failures = 0;
let checks = 0;

function fail(message) {
  failures += 1;
  console.error(`FAIL ${message}`);
}

// The token at the `nth` occurrence of `text` on line `line` must be exactly
// `text` and carry `scope` (a full scope name, or a prefix of one followed by
// a dot).
function expectScope(result, line, text, scope, nth = 0) {
  checks += 1;
  const source = result.lines[line];
  let at = -1;
  for (let i = 0; i <= nth; i += 1) {
    at = source.indexOf(text, at + 1);
    if (at < 0) return fail(`line ${line}: "${text}" not found in ${JSON.stringify(source)}`);
  }
  const token = result.tokenized[line].find((t) => t.start <= at && at < t.end);
  if (!token) return fail(`line ${line}: no token at ${at}`);
  const has = token.scopes.some((s) => s === scope || s.startsWith(scope + "."));
  if (token.text !== text || !has) {
    fail(
      `line ${line}: "${text}" expected ${scope}, got token ${JSON.stringify(token.text)} ` +
        `with [${token.scopes.join(", ")}]`,
    );
  }
}

// The token at `text` must not carry `scope`.
function expectNotScope(result, line, text, scope, nth = 0) {
  checks += 1;
  const source = result.lines[line];
  let at = -1;
  for (let i = 0; i <= nth; i += 1) {
    at = source.indexOf(text, at + 1);
    if (at < 0) return fail(`line ${line}: "${text}" not found`);
  }
  const token = result.tokenized[line].find((t) => t.start <= at && at < t.end);
  if (token && token.scopes.some((s) => s === scope || s.startsWith(scope + "."))) {
    fail(`line ${line}: "${text}" must not be ${scope}: [${token.scopes.join(", ")}]`);
  }
}

function checkSample(grammar) {
  const r = tokenize(grammar, sample);

  // Comments.
  expectScope(r, 0, "// A sample script: comments run to the end of the line".slice(2), "comment.line.double-slash.studioflow");
  expectScope(r, 8, " a trailing comment", "comment.line.double-slash.studioflow");

  // The header.
  expectScope(r, 1, "script", "keyword.other.script.studioflow");
  expectScope(r, 1, "Sample flow", "string.quoted.double.studioflow");
  expectScope(r, 1, "type", "keyword.other.type.studioflow");
  expectScope(r, 1, "Phone", "support.type.script-type.studioflow");
  expectScope(r, 1, "inputs", "keyword.other.inputs.studioflow");
  expectScope(r, 1, "Tier", "variable.parameter.input.studioflow");
  expectScope(r, 1, "LastAgent", "variable.parameter.input.studioflow");
  expectScope(r, 1, "Tier", "meta.header.studioflow");

  // The header's studio block.
  expectScope(r, 2, "studio", "keyword.other.studio.studioflow");
  expectScope(r, 2, "BusNo", "variable.other.property.studio.studioflow");
  expectScope(r, 2, "4606137", "constant.numeric.studioflow");
  expectScope(r, 2, "\\\\", "constant.character.escape.studioflow");

  // Action headers, captions, branches.
  expectScope(r, 4, "start", "entity.name.function.action.studioflow");
  expectScope(r, 4, ":", "punctuation.separator.colon.studioflow");
  expectScope(r, 4, "Begin", "support.class.action-type.studioflow");
  expectNotScope(r, 4, "Begin", "meta.header.studioflow");
  expectScope(r, 5, "Default", "keyword.control.branch.studioflow");
  expectScope(r, 5, "->", "keyword.operator.arrow.studioflow");
  expectScope(r, 5, "greet", "entity.name.function.target.studioflow");
  expectScope(r, 8, "Build greeting", "string.quoted.double.caption.studioflow");
  expectScope(r, 8, "{", "punctuation.section.block.begin.studioflow");

  // Properties and expressions.
  expectScope(r, 9, "Variable", "variable.other.property.studioflow");
  expectScope(r, 9, "=", "keyword.operator.assignment.studioflow");
  expectScope(r, 9, "Greeting", "variable.other.studioflow");
  expectScope(r, 10, "Hello ", "string.quoted.double.template.studioflow");
  expectScope(r, 10, "{", "punctuation.definition.template-expression.begin.studioflow");
  expectScope(r, 10, "upper", "support.function.studioflow");
  expectScope(r, 10, "upper", "meta.template.expression.studioflow");
  expectScope(r, 10, "Name", "variable.other.studioflow");
  expectScope(r, 10, "{{", "constant.character.escape.brace.studioflow");
  expectScope(r, 10, "}}", "constant.character.escape.brace.studioflow");
  expectNotScope(r, 10, "literal", "meta.template.expression.studioflow");
  expectScope(r, 10, "1", "constant.numeric.studioflow");
  expectScope(r, 10, "+", "keyword.operator.arithmetic.studioflow");
  expectScope(r, 10, " items", "string.quoted.double.template.studioflow");
  expectScope(r, 11, "Expression", "variable.other.property.studioflow");
  expectScope(r, 11, ">", "keyword.operator.comparison.studioflow");
  expectScope(r, 11, "and", "keyword.operator.logical.studioflow");
  expectScope(r, 11, "not", "keyword.operator.logical.studioflow");
  expectScope(r, 11, "or", "keyword.operator.logical.studioflow", 1);
  expectScope(r, 11, "order", "variable.other.studioflow");
  expectScope(r, 11, "done", "variable.other.member.studioflow");
  expectScope(r, 11, "=", "keyword.operator.comparison.studioflow", 1);
  expectScope(r, 12, '#"02/09/2023 8:00 AM"', "constant.other.datetime.studioflow");

  // Case branches.
  expectScope(r, 13, "Case", "keyword.control.case.studioflow");
  expectScope(r, 13, "gold", "string.quoted.double.studioflow");
  expectScope(r, 13, "done", "entity.name.function.target.studioflow");
  expectScope(r, 14, "case", "keyword.control.case.studioflow");
  expectScope(r, 14, "2", "constant.numeric.studioflow");
  expectScope(r, 15, "calc", "entity.name.function.target.studioflow");

  // An action's studio block: values are raw, never templates.
  expectScope(r, 16, "studio", "keyword.other.studio.studioflow");
  expectScope(r, 17, "ActionID", "variable.other.property.studio.studioflow");
  expectScope(r, 17, "4", "constant.numeric.studioflow");
  expectScope(r, 18, "[", "punctuation.section.brackets.studioflow");
  expectScope(r, 18, "{skill}", "string.quoted.double.studioflow");
  expectNotScope(r, 18, "skill", "meta.template.expression.studioflow");
  expectScope(r, 19, "}", "meta.studio-block.studioflow");
  expectScope(r, 20, "}", "punctuation.section.block.end.studioflow");
  expectNotScope(r, 20, "}", "meta.studio-block.studioflow");

  // Snippet code.
  expectScope(r, 23, "Data", "variable.other.property.studioflow");
  expectScope(r, 23, '"""', "punctuation.definition.string.begin.studioflow");
  expectScope(r, 24, "// Snippet comment".slice(2), "comment.line.double-slash.studioflow");
  expectScope(r, 24, "// Snippet comment".slice(2), "meta.embedded.block.snippet.studioflow");
  expectScope(r, 25, "FUNCTION", "storage.type.function.snippet.studioflow");
  expectScope(r, 25, "Greeting", "entity.name.function.snippet.studioflow");
  expectScope(r, 25, "RETURN", "keyword.control.snippet.studioflow");
  expectScope(r, 25, "Hello ", "string.quoted.double.template.studioflow");
  expectScope(r, 25, "Hello ", "meta.embedded.block.snippet.studioflow");
  expectScope(r, 25, "name", "variable.other.studioflow", 1);
  expectScope(r, 25, "name", "meta.template.expression.studioflow", 1);
  expectScope(r, 26, "IF", "keyword.control.snippet.studioflow");
  expectScope(r, 26, "isnull", "support.function.studioflow");
  expectScope(r, 26, "=", "keyword.operator.comparison.studioflow");
  expectScope(r, 26, "true", "constant.language.studioflow");
  expectScope(r, 26, "=", "keyword.operator.assignment.studioflow", 1);
  expectScope(r, 26, "a|b", "string.quoted.single.template.studioflow");
  expectScope(r, 26, "ELSE", "keyword.control.snippet.studioflow");
  expectScope(r, 26, "TRACE", "keyword.other.snippet.studioflow");
  expectScope(r, 26, "x}y", "string.quoted.double.interpolated.studioflow");
  expectScope(r, 27, "FOREACH", "keyword.control.snippet.studioflow");
  expectScope(r, 27, "IN", "keyword.control.snippet.studioflow");
  expectScope(r, 27, "line", "variable.other.studioflow");
  expectScope(r, 27, "price", "variable.other.member.studioflow");
  expectScope(r, 27, "=", "keyword.operator.assignment.studioflow");
  expectScope(r, 28, "=", "keyword.operator.assignment.studioflow");
  expectScope(r, 28, "global", "storage.modifier.global.studioflow");
  expectScope(r, 28, "Shared", "variable.other.global.studioflow");
  expectScope(r, 28, "asjson", "support.function.method.studioflow");
  expectScope(r, 29, '"""', "punctuation.definition.string.end.studioflow");
  expectNotScope(r, 30, "Default", "meta.embedded.block.snippet.studioflow");
  expectScope(r, 30, "Default", "keyword.control.branch.studioflow");
  expectScope(r, 33, "done", "entity.name.function.action.studioflow");
  expectScope(r, 33, "End", "support.class.action-type.studioflow");

  checks += 1;
  if (r.state.depth !== 1) fail(`the sample ends ${r.state.depth - 1} region(s) deep`);

  // One-line forms, keywords in other cases.
  const o = tokenize(
    grammar,
    [
      /* 0 */ 'SCRIPT "One line" TYPE Chat INPUTS A, b studio { BusNo = 4606137 }',
      /* 1 */ 'start: Begin { Default -> done }',
      /* 2 */ 'x: If { Expression = a != 1 & NOT b ~ c.$value <> "x" Case TRUE -> done }',
      /* 3 */ 'done: End',
    ].join("\n"),
  );
  expectScope(o, 0, "SCRIPT", "keyword.other.script.studioflow");
  expectScope(o, 0, "TYPE", "keyword.other.type.studioflow");
  expectScope(o, 0, "Chat", "support.type.script-type.studioflow");
  expectScope(o, 0, "INPUTS", "keyword.other.inputs.studioflow");
  expectScope(o, 0, "b", "variable.parameter.input.studioflow");
  expectScope(o, 0, "studio", "keyword.other.studio.studioflow");
  expectScope(o, 0, "BusNo", "variable.other.property.studio.studioflow");
  expectScope(o, 1, "start", "entity.name.function.action.studioflow");
  expectScope(o, 1, "Default", "keyword.control.branch.studioflow");
  expectScope(o, 1, "done", "entity.name.function.target.studioflow");
  expectScope(o, 1, "}", "punctuation.section.block.end.studioflow");
  expectScope(o, 2, "Expression", "variable.other.property.studioflow");
  expectScope(o, 2, "!=", "keyword.operator.comparison.studioflow");
  expectScope(o, 2, "&", "keyword.operator.logical.studioflow");
  expectScope(o, 2, "NOT", "keyword.operator.logical.studioflow");
  expectScope(o, 2, "~", "keyword.operator.logical.studioflow");
  expectScope(o, 2, "$value", "variable.other.member.studioflow");
  expectScope(o, 2, "<>", "keyword.operator.comparison.studioflow");
  expectScope(o, 2, "Case", "keyword.control.case.studioflow");
  expectScope(o, 2, "TRUE", "constant.language.studioflow");
  expectScope(o, 2, "done", "entity.name.function.target.studioflow");
  expectScope(o, 3, "done", "entity.name.function.action.studioflow");
  checks += 1;
  if (o.state.depth !== 1) fail(`the one-line sample ends ${o.state.depth - 1} region(s) deep`);
}

// The repository's scripts: each must end at the top level, its action
// headers seen as such, and its Snippet code embedded.
function checkRepositoryScripts(grammar) {
  const scriptsDir = path.join(root, "..", "..", "scripts");
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".script")) files.push(full);
    }
  };
  if (fs.existsSync(scriptsDir)) walk(scriptsDir);
  if (files.length === 0) return fail(`no .script files under ${scriptsDir}`);
  for (const file of files) {
    const name = path.relative(root, file);
    const r = tokenize(grammar, fs.readFileSync(file, "utf8"));
    checks += 1;
    if (r.state.depth !== 1) fail(`${name}: ends ${r.state.depth - 1} region(s) deep`);
    r.lines.forEach((line, i) => {
      const header = /^([A-Za-z_][A-Za-z0-9_$]*)\s*:\s*[A-Za-z_]/.exec(line);
      if (header) expectScope(r, i, header[1], "entity.name.function.action.studioflow");
      if (/^\s*Data\s*=\s*"""\s*$/.test(line) && r.lines[i + 1].trim() !== '"""') {
        const next = r.tokenized[i + 1].find((t) => t.text.trim() !== "");
        checks += 1;
        if (!next || !next.scopes.includes("meta.embedded.block.snippet.studioflow")) {
          fail(`${name}:${i + 2}: Snippet code not embedded`);
        }
      }
    });
  }
  console.log(`tokenized ${files.length} scripts from scripts/`);
}

async function main() {
  const grammar = await loadGrammar();
  checkSample(grammar);
  checkRepositoryScripts(grammar);
  if (failures > 0) {
    console.error(`${failures} of ${checks} grammar checks failed`);
    process.exit(1);
  }
  console.log(`all ${checks} grammar checks passed`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
