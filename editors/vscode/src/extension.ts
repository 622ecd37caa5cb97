// The studioflow extension: runs `studioflow lsp` (the language server, over
// stdio) for `.script` files and, when `studioflow.studioFiles` is on, for
// Studio's own `.json` / `.xml` files too.
import * as vscode from "vscode";
import {
  DocumentSelector,
  Executable,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;
// Tells the server about changed files (subscripts, studioflow.toml); made
// with each client, disposed with it.
let watcher: vscode.FileSystemWatcher | undefined;

function settings(): { serverPath: string; studioFiles: boolean } {
  const config = vscode.workspace.getConfiguration("studioflow");
  const serverPath = (config.get<string>("server.path") ?? "").trim() || "studioflow";
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
  const path = document.uri.path.toLowerCase();
  return path.endsWith(".json") || path.endsWith(".xml");
}

async function startClient(): Promise<void> {
  if (client) {
    return;
  }
  const { serverPath, studioFiles } = settings();
  output ??= vscode.window.createOutputChannel("studioflow");
  watcher = vscode.workspace.createFileSystemWatcher(
    studioFiles ? "**/*.{script,toml,json,xml}" : "**/*.{script,toml}",
  );
  const executable: Executable = {
    command: serverPath,
    args: ["lsp"],
    transport: TransportKind.stdio,
  };
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
    const choice = await vscode.window.showErrorMessage(
      `studioflow: could not start the language server \`${serverPath} lsp\` (${message}). ` +
        "Install studioflow (`cargo install --path .` in its repository) so that it is on PATH, " +
        "or set `studioflow.server.path` to the executable.",
      "Open Settings",
      "Show Log",
    );
    if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "studioflow.server.path");
    } else if (choice === "Show Log") {
      output.show(true);
    }
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
      if (!client && wanted(document, settings().studioFiles)) {
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
