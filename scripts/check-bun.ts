// Usage: npm run check-bun [-- VERSION]   (default: the newest bun on the registry)
// oserve pins Bun 1.3.2 because newer versions broke bare imports from node-llama-cpp inside a
// compiled binary (docs/release.md). This installs another Bun into a scratch folder, compiles
// oserve with it beside the current dist/libexec, and starts it on the tiny test model, on the
// engine build and on node-llama-cpp's prebuilt: "works" means the pin can move. Needs `npm run
// build` first and the npm registry.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startServer, TINY_CHAT } from "../test/helpers/test-server.ts";
import { postChat } from "../test/helpers/sse-frames.ts";
import { compileArgs } from "./platform.ts";

const ROOT = resolve(import.meta.dirname, "..");
const version = process.argv[2] ?? "latest";
const scratch = mkdtempSync(join(tmpdir(), "oserve-check-bun-"));
let actual = version;
try {
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", "--prefix", scratch, `bun@${version}`], { stdio: "ignore" });
  const bun = join(scratch, "node_modules/.bin/bun");
  actual = execFileSync(bun, ["--version"]).toString().trim();
  execFileSync(bun, compileArgs(join(scratch, "dist/oserve")), { cwd: ROOT, stdio: "ignore" });
  cpSync(resolve(ROOT, "dist/libexec"), join(scratch, "dist/libexec"), { recursive: true });
  // Twice: on the engine build, then without it, where node-llama-cpp finds its prebuilt by a bare
  // import of the platform package (what Bun 1.4.5 cannot resolve from a compiled binary).
  const answers: string[] = [];
  for (const engine of ["engine build", "prebuilt"]) {
    if (engine === "prebuilt") rmSync(join(scratch, "dist/libexec/node_modules/node-llama-cpp/llama/localBuilds"), { recursive: true });
    const server = await startServer(["--model", TINY_CHAT], { command: [join(scratch, "dist/oserve")], cwd: scratch, timeoutMs: 30_000 });
    try {
      const answer = await (await postChat(server.baseURL, { messages: [{ role: "user", content: "Hello" }], temperature: 0 })).json();
      answers.push(`${engine}: ${JSON.stringify(answer.choices[0].message.content)}`);
    } finally {
      await server.stop();
    }
  }
  console.log(`bun ${actual}: works (${answers.join("; ")})`);
} catch (error) {
  console.log(`bun ${actual}: fails: ${String((error as Error).message).split("\n").slice(0, 3).join(" ")}`);
  process.exitCode = 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
