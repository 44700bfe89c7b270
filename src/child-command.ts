// Runs one command beside a server: its stdio and exit code pass through, SIGINT and SIGTERM go
// to it (or stop the server while none runs yet), and the server stops once it exits. What
// `oserve run` and `oserve launch` share.
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { constants as os } from "node:os";

export interface ChildCommand {
  command: string;
  args: string[];
  /** The whole environment the command gets. */
  env: Record<string, string | undefined>;
  /** Files written before it starts (an agent's config), by absolute path. */
  files?: ReadonlyArray<{ path: string; text: string }>;
}

/** Exit code for a signal, as shells give it: 128 + its number. */
const signalCode = (signal: NodeJS.Signals | null) => 128 + (signal ? (os.signals[signal] ?? 1) : 1);

/**
 * Starts what `start` starts (a server, or nothing when one is already running), then the command
 * it asks for; resolves with the command's exit code once `start`'s `stop` has run.
 */
export async function runBeside(start: (onListening: (stop: () => Promise<void>) => void) => Promise<{ child: ChildCommand; stop: () => Promise<void> }>): Promise<number> {
  let child: ChildProcess | null = null;
  let stopServer: () => Promise<void> = async () => {};
  const forward = (signal: NodeJS.Signals) => {
    if (child) child.kill(signal);
    else void stopServer().finally(() => process.exit(signalCode(signal)));
  };
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  const started = await start((stop) => (stopServer = stop));
  const { command, args, env, files = [] } = started.child;
  for (const file of files) writeFileSync(file.path, file.text, { mode: 0o600 });
  child = spawn(command, args, { stdio: "inherit", env });
  const code = await new Promise<number>((resolve) => {
    child!.once("error", (error) => {
      console.error(`oserve: could not run '${command}': ${error.message}`);
      resolve(127);
    });
    child!.once("exit", (exitCode, signal) => resolve(exitCode ?? signalCode(signal)));
  });
  // Streams still in flight end as on SIGTERM.
  await started.stop();
  return code;
}
