// Checks the bundled extension (out/extension.js, what the .vsix ships)
// without VS Code: the `vscode` module is a stub (the parts the extension
// reads are real-ish: settings, open documents, languages.match; the rest
// answers anything), and the "server" is a small fake language server that
// logs how it was started and the documents the client opened.
//
// - with only a JSON file open and studioflow.studioFiles off, no server starts;
// - a .script document starts `<studioflow.server.path> lsp`, the LSP handshake
//   completes, and the client opens the .script document but not the JSON one;
// - with studioflow.studioFiles on, the JSON and XML documents are opened too;
// - "studioflow.restartServer" is registered and starts a new server;
// - an executable that does not exist is reported once, and a bare name is
//   looked up on PATH;
// - with STUDIOFLOW_SERVER set to a real `studioflow`, its diagnostics for a
//   script with a missing branch target reach the client.
// Run by `npm test` after `npm run bundle`; exits non-zero on any failure.
// DEBUG_OUTPUT=1 prints what the client writes to its output channel.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const Module = require("module");

const bundle = path.join(__dirname, "..", "out", "extension.js");
const temp = fs.mkdtempSync(path.join(os.tmpdir(), "studioflow-vscode-test-"));
const serverLog = path.join(temp, "server.log");
process.on("exit", () => fs.rmSync(temp, { recursive: true, force: true }));

// The fake server: answers initialize and shutdown, logs its arguments and
// the notifications it gets, one JSON line each.
const fakeServer = path.join(temp, "fake-studioflow");
fs.writeFileSync(
  fakeServer,
  `#!${process.execPath}
const fs = require("fs");
const log = (entry) => fs.appendFileSync(${JSON.stringify(serverLog)}, JSON.stringify(entry) + "\\n");
log({ argv: process.argv.slice(2) });
let buffer = Buffer.alloc(0);
const send = (message) => {
  const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...message }));
  process.stdout.write("Content-Length: " + body.length + "\\r\\n\\r\\n");
  process.stdout.write(body);
};
process.stdin.on("data", (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const end = buffer.indexOf("\\r\\n\\r\\n");
    if (end < 0) return;
    const length = Number(/Content-Length: (\\d+)/i.exec(buffer.slice(0, end).toString())[1]);
    if (buffer.length < end + 4 + length) return;
    const message = JSON.parse(buffer.slice(end + 4, end + 4 + length).toString());
    buffer = buffer.slice(end + 4 + length);
    log({ method: message.method, uri: message.params && message.params.textDocument && message.params.textDocument.uri });
    if (message.method === "initialize") {
      send({ id: message.id, result: { capabilities: { textDocumentSync: { openClose: true, change: 1 } } } });
    } else if (message.method === "shutdown") {
      send({ id: message.id, result: null });
    } else if (message.method === "exit") {
      process.exit(0);
    }
  }
});
`,
);
fs.chmodSync(fakeServer, 0o755);

// ---------------------------------------------------------------- the stub
function anything(name) {
  const target = function () {};
  return new Proxy(target, {
    get(t, prop) {
      if (prop === "then") return undefined;
      if (prop === Symbol.toPrimitive) return () => 0;
      if (prop === Symbol.iterator) return function* () {};
      if (prop === "prototype") return t.prototype;
      if (!(prop in t)) t[prop] = anything(`${name}.${String(prop)}`);
      return t[prop];
    },
    apply: () => anything(`${name}()`),
    construct: () => anything(`new ${name}`),
  });
}

const state = {
  settings: {},
  documents: [],
  errors: [],
  commands: new Map(),
  openListeners: [],
  configListeners: [],
  diagnostics: new Map(),
};

function document(file, languageId) {
  const uri = {
    scheme: "file",
    path: file,
    fsPath: file,
    toString: () => `file://${file}`,
    toJSON: () => ({ scheme: "file", path: file }),
  };
  return { uri, languageId, version: 1, fileName: file, isClosed: false, getText: () => "", lineCount: 0 };
}

function matches(filter, doc) {
  if (typeof filter === "string") return filter === doc.languageId;
  if (filter.language && filter.language !== doc.languageId) return false;
  if (filter.scheme && filter.scheme !== doc.uri.scheme) return false;
  if (filter.pattern) {
    const pattern = typeof filter.pattern === "string" ? filter.pattern : filter.pattern.pattern;
    const suffix = /^\*\*\/\*(\.[a-z]+)$/.exec(pattern);
    if (!suffix) throw new Error(`the test cannot match the pattern ${pattern}`);
    if (!doc.uri.path.toLowerCase().endsWith(suffix[1])) return false;
  }
  return true;
}

const disposable = () => ({ dispose() {} });
const event = (list) => (listener) => {
  if (list) list.push(listener);
  return disposable();
};

const vscode = anything("vscode");
Object.assign(vscode, {
  version: "1.82.0",
  env: Object.assign(anything("vscode.env"), { appName: "Visual Studio Code", language: "en" }),
  // What the client builds diagnostics from (the real-server check reads them).
  Uri: Object.assign(anything("vscode.Uri"), {
    parse: (text) => ({ scheme: text.split(":")[0], toString: () => text, toJSON: () => text }),
  }),
  Position: class {
    constructor(line, character) {
      Object.assign(this, { line, character });
    }
  },
  Range: class {
    constructor(startLine, startCharacter, endLine, endCharacter) {
      Object.assign(this, { startLine, startCharacter, endLine, endCharacter });
    }
  },
  CancellationTokenSource: class {
    constructor() {
      this.token = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };
    }
    cancel() {
      this.token.isCancellationRequested = true;
    }
    dispose() {}
  },
  Diagnostic: class {
    constructor(range, message, severity) {
      Object.assign(this, { range, message, severity });
    }
  },
  workspace: Object.assign(anything("vscode.workspace"), {
    getConfiguration: (section) => ({
      get: (key, fallback) => {
        const value = state.settings[`${section}.${key}`];
        return value === undefined ? fallback : value;
      },
    }),
    onDidOpenTextDocument: event(state.openListeners),
    onDidChangeConfiguration: event(state.configListeners),
    createFileSystemWatcher: () => ({
      dispose() {},
      onDidCreate: event(),
      onDidChange: event(),
      onDidDelete: event(),
    }),
    workspaceFolders: undefined,
  }),
  languages: Object.assign(anything("vscode.languages"), {
    createDiagnosticCollection: () => ({
      set: (uri, diagnostics) => state.diagnostics.set(String(uri), diagnostics),
      delete: (uri) => state.diagnostics.delete(String(uri)),
      clear: () => state.diagnostics.clear(),
      dispose() {},
      forEach() {},
      get: (uri) => state.diagnostics.get(String(uri)),
      has: (uri) => state.diagnostics.has(String(uri)),
    }),
    match: (selector, doc) => ([].concat(selector).some((f) => matches(f, doc)) ? 10 : 0),
  }),
  window: Object.assign(anything("vscode.window"), {
    showErrorMessage: async (message) => {
      state.errors.push(message);
      return undefined;
    },
    createOutputChannel: () => ({
      append() {},
      appendLine: (line) => process.env.DEBUG_OUTPUT && console.log(`output: ${line}`),
      replace() {},
      clear() {},
      show() {},
      hide() {},
      dispose() {},
      name: "studioflow",
    }),
    setStatusBarMessage: disposable,
  }),
  commands: Object.assign(anything("vscode.commands"), {
    registerCommand: (id, callback) => {
      state.commands.set(id, callback);
      return disposable();
    },
    executeCommand: async () => undefined,
  }),
});

// A getter (Object.assign would copy the list of the moment).
Object.defineProperty(vscode.workspace, "textDocuments", { get: () => state.documents });

const load = Module._load;
Module._load = function (request, ...rest) {
  return request === "vscode" ? vscode : load.call(this, request, ...rest);
};

// ---------------------------------------------------------------- the checks
let failures = 0;
function check(ok, message) {
  if (ok) {
    console.log(`ok   ${message}`);
  } else {
    failures += 1;
    console.error(`FAIL ${message}`);
  }
}

function logged() {
  if (!fs.existsSync(serverLog)) return [];
  return fs
    .readFileSync(serverLog, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

async function until(condition, what, ms = 5000) {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > ms) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

const context = () => ({ subscriptions: [], extensionPath: path.join(__dirname, "..") });
const opened = () => logged().filter((e) => e.method === "textDocument/didOpen").map((e) => e.uri);

async function main() {
  if (!fs.existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run bundle first`);
  const extension = require(bundle);
  const script = document("/work/flows/main.script", "studioflow");
  const json = document("/work/flows/phone.json", "json");
  const xml = document("/work/flows/phone.xml", "xml");

  // 1. Activated by a JSON file with studioFiles off: nothing starts.
  state.settings = { "studioflow.server.path": fakeServer };
  state.documents = [json];
  await extension.activate(context());
  await new Promise((resolve) => setTimeout(resolve, 300));
  check(logged().length === 0, "a JSON file alone starts no server while studioflow.studioFiles is off");
  check(state.commands.has("studioflow.restartServer"), "the command studioflow.restartServer is registered");

  // 2. A .script document opens: `<path> lsp` starts, the client opens it.
  state.documents = [json, script];
  for (const listener of state.openListeners) await listener(script);
  check(
    await until(() => opened().length > 0, "didOpen"),
    "opening a .script file starts the server and the client opens the document",
  );
  const first = logged();
  check(JSON.stringify(first[0].argv) === JSON.stringify(["lsp"]), `the server runs as \`${fakeServer} lsp\``);
  check(first.some((e) => e.method === "initialize"), "the client sends initialize");
  check(first.some((e) => e.method === "initialized"), "the handshake completes (initialized)");
  check(opened().includes(script.uri.toString()), "the .script document is sent to the server");
  check(!opened().includes(json.uri.toString()), "the JSON document is not sent while studioFiles is off");
  check(state.errors.length === 0, `no error message (${state.errors.join("; ")})`);

  // 3. studioFiles on: a new client whose selector takes .json and .xml.
  fs.rmSync(serverLog, { force: true });
  state.settings["studioflow.studioFiles"] = true;
  state.documents = [json, script, xml];
  const change = { affectsConfiguration: (key) => key === "studioflow.studioFiles" };
  for (const listener of state.configListeners) await listener(change);
  check(
    await until(() => opened().length >= 3, "didOpen x3"),
    "with studioFiles on the server restarts and gets the .script, .json and .xml documents",
  );
  check(
    [script, json, xml].every((d) => opened().includes(d.uri.toString())),
    `opened: ${opened().join(", ")}`,
  );

  // 4. The restart command starts a new server process.
  fs.rmSync(serverLog, { force: true });
  await state.commands.get("studioflow.restartServer")();
  check(
    await until(() => logged().some((e) => e.method === "initialized"), "restart"),
    "studioflow: Restart Language Server starts a new server",
  );

  // 5. An executable that does not exist: a clear error naming the setting.
  state.settings["studioflow.server.path"] = path.join(temp, "no-such-studioflow");
  const pathChange = { affectsConfiguration: (key) => key === "studioflow.server.path" };
  for (const listener of state.configListeners) await listener(pathChange);
  const error = state.errors.find((m) => m.startsWith("studioflow: could not start"));
  check(
    Boolean(error) && error.includes("studioflow.server.path") && error.includes("no-such-studioflow"),
    `a missing executable gives a clear error: ${JSON.stringify(error)}`,
  );

  check(state.errors.length === 1, `exactly one error message (${state.errors.length})`);
  const another = document("/work/flows/other.script", "studioflow");
  state.documents.push(another);
  for (const listener of state.openListeners) await listener(another);
  await new Promise((resolve) => setTimeout(resolve, 200));
  check(state.errors.length === 1, "opening another .script file does not report the failure again");

  // 6. A bare name is looked up on PATH.
  fs.rmSync(serverLog, { force: true });
  process.env.PATH = `${temp}${path.delimiter}${process.env.PATH}`;
  state.settings["studioflow.server.path"] = "fake-studioflow";
  for (const listener of state.configListeners) await listener(pathChange);
  check(
    await until(() => logged().some((e) => e.method === "initialized"), "PATH"),
    "studioflow.server.path may be a name on PATH",
  );
  // 7. The real server, when there is one (STUDIOFLOW_SERVER, which
  // .ci/vscode sets to the build it has): a script with a branch to no
  // action gets its missing-target diagnostic through the client.
  const real = process.env.STUDIOFLOW_SERVER;
  if (real) {
    const bad = document(path.join(temp, "bad.script"), "studioflow");
    bad.getText = () => "start: Begin {\n  Default -> nowhere\n}\n";
    state.documents = [bad];
    state.settings = { "studioflow.server.path": real };
    state.errors = [];
    for (const listener of state.configListeners) await listener(pathChange);
    const uri = bad.uri.toString();
    const arrived = await until(() => (state.diagnostics.get(uri) || []).length > 0, "diagnostics", 20000);
    const found = state.diagnostics.get(uri) || [];
    check(
      arrived && found.some((d) => /nowhere/.test(d.message)),
      `\`${real} lsp\` publishes the missing target: ${JSON.stringify(found.map((d) => d.message))}`,
    );
    check(state.errors.length === 0, `the real server starts without an error message (${state.errors.join("; ")})`);
  } else {
    console.log("skip the real server (set STUDIOFLOW_SERVER to a studioflow executable)");
  }

  await extension.deactivate();
  if (failures > 0) {
    console.error(`${failures} extension checks failed`);
    process.exit(1);
  }
  console.log("all extension checks passed");
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
