// The studioflow extension: runs `studioflow lsp` (the language server, over
// stdio) for `.script` files and, when `studioflow.studioFiles` is on, for
// Studio's own `.json` / `.xml` files too.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as vscode from "vscode";
import {
  DocumentSelector,
  Executable,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;
// Tells the server about changed files (subscripts, studioflow.toml); made
// with each client, disposed with it.
let watcher: vscode.FileSystemWatcher | undefined;
// Set when the server could not be started: opening more documents does not
// try (and report) again; the restart command and a settings change do.
let startFailed = false;

function settings(): { serverPath: string; studioFiles: boolean } {
  const config = vscode.workspace.getConfiguration("studioflow");
  let serverPath = (config.get<string>("server.path") ?? "").trim() || "studioflow";
  // `~/.cargo/bin/studioflow`: no shell expands the ~ for us.
  if (serverPath === "~" || serverPath.startsWith("~/")) {
    serverPath = path.join(os.homedir(), serverPath.slice(1));
  }
  return { serverPath, studioFiles: config.get<boolean>("studioFiles") ?? false };
}

function documentSelector(studioFiles: boolean): DocumentSelector {
  const selector: { scheme: string; language?: string; pattern?: string }[] = [
    { scheme: "file", language: "studioflow" },
    { scheme: "untitled", language: "studioflow" },
  ];
  if (studioFiles) {
    // CXone Studio exports (.json) and Desktop Studio files (.xml), whatever
    // language VS Code gave them.
    selector.push({ scheme: "file", pattern: "**/*.json" });
    selector.push({ scheme: "file", pattern: "**/*.xml" });
  }
  return selector;
}

// Whether an open document is one the server would be attached to: the
// client starts only then (the extension also activates on JSON and XML
// files, which it leaves alone while `studioflow.studioFiles` is off).
function wanted(document: vscode.TextDocument, studioFiles: boolean): boolean {
  if (document.languageId === "studioflow") {
    return document.uri.scheme === "file" || document.uri.scheme === "untitled";
  }
  if (!studioFiles || document.uri.scheme !== "file") {
    return false;
  }
  const file = document.uri.path.toLowerCase();
  return file.endsWith(".json") || file.endsWith(".xml");
}

// The executable `command` names: itself when it is a path, else the first
// match on PATH (with PATHEXT's extensions on Windows); undefined when there
// is none.
function findExecutable(command: string): string | undefined {
  const isFile = (file: string): boolean => {
    try {
      fs.accessSync(file, process.platform === "win32" ? fs.constants.F_OK : fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  };
  const extensions =
    process.platform === "win32"
      ? ["", ...(process.env.PATHEXT ?? ".EXE;.CMD;.BAT;.COM").split(";").filter(Boolean)]
      : [""];
  if (command.includes("/") || command.includes(path.sep)) {
    return extensions.map((ext) => command + ext).find(isFile);
  }
  for (const dir of (process.env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const found = extensions.map((ext) => path.join(dir, command + ext)).find(isFile);
    if (found) {
      return found;
    }
  }
  return undefined;
}

async function reportStartFailure(serverPath: string, why: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(
    `studioflow: could not start the language server \`${serverPath} lsp\` (${why}). ` +
      "Install studioflow (`cargo install --path .` in its repository) so that it is on PATH, " +
      "or set `studioflow.server.path` to the executable.",
    "Open Settings",
    "Show Log",
  );
  if (choice === "Open Settings") {
    await vscode.commands.executeCommand("workbench.action.openSettings", "studioflow.server.path");
  } else if (choice === "Show Log") {
    output?.show(true);
  }
}

async function startClient(): Promise<void> {
  if (client) {
    return;
  }
  const { serverPath, studioFiles } = settings();
  output ??= vscode.window.createOutputChannel("studioflow");
  // Checked first so that a missing executable gets one clear message (the
  // client's own "couldn't create connection" says less).
  if (!findExecutable(serverPath)) {
    output.appendLine(`studioflow: no executable ${serverPath} (PATH=${process.env.PATH ?? ""})`);
    startFailed = true;
    void reportStartFailure(serverPath, "no such executable");
    return;
  }
  watcher = vscode.workspace.createFileSystemWatcher(
    studioFiles ? "**/*.{script,toml,json,xml}" : "**/*.{script,toml}",
  );
  // No `transport`: the client then talks over the process's stdin and
  // stdout without adding `--stdio` to the arguments.
  const executable: Executable = { command: serverPath, args: ["lsp"] };
  const serverOptions: ServerOptions = { run: executable, debug: executable };
  const clientOptions: LanguageClientOptions = {
    documentSelector: documentSelector(studioFiles),
    outputChannel: output,
    synchronize: { fileEvents: watcher },
  };
  const candidate = new LanguageClient(
    "studioflow",
    "studioflow language server",
    serverOptions,
    clientOptions,
  );
  client = candidate;
  try {
    await candidate.start();
  } catch (error) {
    client = undefined;
    watcher?.dispose();
    watcher = undefined;
    // A failed start leaves the client half made: stop it quietly.
    candidate.stop().catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    startFailed = true;
    void reportStartFailure(serverPath, message);
  }
}

async function stopClient(): Promise<void> {
  const running = client;
  client = undefined;
  watcher?.dispose();
  watcher = undefined;
  if (running && running.state !== State.Stopped) {
    await running.stop();
  }
}

async function restartClient(): Promise<void> {
  await stopClient();
  startFailed = false;
  await startClient();
}

// Starts the client when an open document needs it.
async function startIfWanted(): Promise<void> {
  const { studioFiles } = settings();
  if (vscode.workspace.textDocuments.some((document) => wanted(document, studioFiles))) {
    await startClient();
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("studioflow.restartServer", async () => {
      await restartClient();
      if (client) {
        vscode.window.setStatusBarMessage("studioflow: language server restarted", 3000);
      }
    }),
    vscode.workspace.onDidOpenTextDocument(async (document) => {
      if (!client && !startFailed && wanted(document, settings().studioFiles)) {
        await startClient();
      }
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (
        event.affectsConfiguration("studioflow.server.path") ||
        event.affectsConfiguration("studioflow.studioFiles")
      ) {
        // The executable or the document selector changed: a new client.
        await stopClient();
        startFailed = false;
        await startIfWanted();
      }
    }),
    { dispose: () => void stopClient() },
  );
  await startIfWanted();
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
