// Drives a real coding agent through a long session against one oserve, turn after turn
// (`oserve launch AGENT --url …`, resuming the same session), past a small window, and reports
// per turn: whether it completed, the requests it made, their prompt and cached tokens, and which
// requests were compactions. Not a test: it prints what happened.
// Usage: tsx scripts/agent-sessions.ts claude|codex [--turns N] [--ctx-size N] [--model PATH]
//   The agents install into OSERVE_AGENT_CLIENTS (default ${TMPDIR:-/tmp}/oserve-agent-clients), as
//   scripts/agent-clients.sh does.
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const ROOT = resolve(import.meta.dirname, "..");
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    turns: { type: "string", default: "12" },
    "ctx-size": { type: "string" },
    "max-tokens": { type: "string", default: "256" },
    model: { type: "string", default: resolve(ROOT, "../shared/models/oserve-tiny-chat.gguf") },
  },
});
const agent = positionals[0];
if (agent !== "claude" && agent !== "codex") throw new Error("usage: tsx scripts/agent-sessions.ts claude|codex [--turns N] [--ctx-size N] [--model PATH]");
// Each agent's own prompt takes most of the window: Claude Code's about 11k tokens, Codex's 8.5k.
const ctxSize = values["ctx-size"] ?? (agent === "claude" ? "16384" : "10240");
const turns = Number(values.turns);

const cache = process.env.OSERVE_AGENT_CLIENTS ?? join(process.env.TMPDIR ?? tmpdir(), "oserve-agent-clients");
const bin = join(cache, "node_modules", ".bin");
// One place pins the agents' versions and installs them (the shell scripts source it too).
if (!existsSync(join(bin, agent))) spawnSync("bash", [join(import.meta.dirname, "agent-tools/install-agents.sh")], { stdio: "inherit", env: { ...process.env, OSERVE_AGENT_CLIENTS: cache } });

const work = mkdtempSync(join(tmpdir(), "oserve-sessions-"));
const log = join(work, "oserve.log");
const cleanup: Array<() => void> = [() => rmSync(work, { recursive: true, force: true })];
process.on("exit", () => cleanup.reverse().forEach((step) => step()));
process.on("SIGINT", () => process.exit(130));

// The server: one for the whole session, so that its sequences keep the conversation between turns.
// Answers capped at --max-tokens: the tiny model does not stop on prompts it was not trained for.
const server = spawn(process.execPath, ["scripts/start.mjs", "--model", values.model!, "--ctx-size", ctxSize, "--max-tokens", values["max-tokens"]!, "--parallel", "2", "--port", "0"], {
  cwd: ROOT,
  stdio: ["ignore", "pipe", "pipe"],
});
cleanup.push(() => server.kill("SIGTERM"));
server.stderr.on("data", (data) => appendFileSync(log, data));
const url = await new Promise<string>((ready, fail) => {
  let out = "";
  server.stdout.on("data", (data) => {
    out += data;
    const match = /oserve listening on (\S+)/.exec(out);
    if (match) ready(match[1]!);
  });
  server.once("exit", (code) => fail(new Error(`oserve exited with ${code}:\n${readFileSync(log, "utf8")}`)));
});

// A recording proxy: each request gets an id the access log names, and its body is kept.
interface Recorded {
  id: string;
  path: string;
  body: string;
}
const recorded: Recorded[] = [];
const proxy = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const id = `sess${recorded.length}x${Date.now()}`;
    const body = Buffer.concat(chunks);
    if (req.method === "POST") recorded.push({ id, path: req.url ?? "", body: body.toString() });
    const upstream = httpRequest(`${url}${req.url}`, { method: req.method, headers: { ...req.headers, host: new URL(url).host, "x-request-id": id } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", (error) => res.writeHead(502).end(String(error)));
    upstream.end(body);
  });
});
await new Promise<void>((listening) => proxy.listen(0, "127.0.0.1", listening));
cleanup.push(() => proxy.close());
const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;

const home = join(work, "home");
const cwd = join(work, "cwd");
mkdirSync(home, { recursive: true });
mkdirSync(cwd, { recursive: true });
const QUESTIONS = ["What is the capital of France?", "What is 3 plus 4?", "Hello", "What is the capital of Japan?", "What is 12 plus 7?", "What is the capital of Peru?"];
// The words each agent's compaction request (and only it) carries.
const COMPACTION = agent === "claude" ? /Your task is to create a detailed summary of the conversation so far/ : /CONTEXT CHECKPOINT COMPACTION/;

const rows: string[] = [];
for (let turn = 1; turn <= turns; turn++) {
  const question = QUESTIONS[(turn - 1) % QUESTIONS.length]!;
  const agentArgs =
    agent === "claude"
      ? ["-p", ...(turn > 1 ? ["--continue"] : []), question]
      : ["exec", "--skip-git-repo-check", ...(turn > 1 ? ["resume", "--last"] : []), question];
  const before = recorded.length;
  const started = performance.now();
  // The agent works in an empty folder of its own, its sessions and settings in another. Not
  // spawnSync: the proxy in this process must keep answering while the agent runs.
  const child = spawn(process.execPath, [join(ROOT, "bin/oserve.js"), "launch", agent, "--url", proxyUrl, "--", ...agentArgs], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 600_000,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, CODEX_HOME: home, CLAUDE_CONFIG_DIR: home },
  });
  let output = "";
  child.stdout.on("data", (data) => (output += data));
  child.stderr.on("data", (data) => (output += data));
  const result = { status: await new Promise<number | null>((exited) => child.once("exit", (code) => exited(code))), output };
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  const mine = recorded.slice(before);
  const accessLog = readFileSync(log, "utf8");
  const usage = mine.map((r) => {
    const line = accessLog.split("\n").find((l) => l.includes(`request_id=${r.id} `));
    const number = (name: string) => Number(new RegExp(`${name}=(\\d+)`).exec(line ?? "")?.[1] ?? NaN);
    const status = Number(/ (\d{3}) request_id/.exec(line ?? "")?.[1] ?? NaN);
    return { prompt: number("prompt_tokens"), cached: number("cached_tokens"), status, compaction: COMPACTION.test(r.body) };
  });
  const described = usage.map((u) => `${u.status} ${u.prompt}/${u.cached}${u.compaction ? " COMPACTION" : ""}`).join(", ");
  rows.push(`turn ${turn}: exit ${result.status} in ${seconds} s; requests (status prompt/cached): ${described}`);
  console.log(rows.at(-1));
  if (result.status !== 0) console.log(result.output.split("\n").slice(-15).join("\n"));
}
const all = readFileSync(log, "utf8");
console.log(`${agent}, --ctx-size ${ctxSize}, ${turns} turns: ${recorded.filter((r) => COMPACTION.test(r.body)).length} compaction requests; failures logged by oserve: ${(all.match(/failed/g) ?? []).length}`);
// The server and the proxy would keep this process alive; the exit handlers stop them.
process.exit(0);
