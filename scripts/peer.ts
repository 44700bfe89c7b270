// llama-server (the peer that ../shared/tools/build-peer.sh builds) started for a benchmark on a free
// loopback port, and stopped.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { freePort } from "../test/helpers/test-server.ts";

export const DEFAULT_PEER = "/tmp/oserve-peer/llama.cpp/build/bin/llama-server";

export interface Peer {
  url: string;
  stop(): Promise<void>;
}

/** Starts `binary` with `args` (no --port or --host), and resolves once its /health answers. */
export async function startPeer(binary: string, args: string[]): Promise<Peer> {
  const port = await freePort();
  const child: ChildProcess = spawn(binary, [...args, "--port", String(port), "--host", "127.0.0.1"], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (i > 1800 || child.exitCode !== null || child.signalCode !== null) throw new Error(`llama-server did not get ready (${child.signalCode ?? child.exitCode ?? "timeout"})`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}
