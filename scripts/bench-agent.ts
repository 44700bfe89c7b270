// Usage: npm run bench:agent -- --model M.gguf [--peer PATH/llama-server] [--turns 10] [--system-tokens 2000] [--threads N]
// An agent-shaped session replayed against oserve and llama-server side by side, one after the
// other on the same model, window and slots: a main conversation and a subagent (each with a long
// system prompt of its own, its history growing) alternating on one sequence, then a restart and the
// main conversation resumed. Prints each turn's latency and the prompt tokens each server evaluated
// (prompt less cached), then the totals and their ratio. llama-server keeps prompts in RAM too (its
// --cache-ram, 8 GiB by default); across its restart it keeps nothing without explicit slot saves.
import { mkdtempSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startServer, type TestServer } from "../test/helpers/test-server.ts";
import { DEFAULT_PEER, startPeer } from "./peer.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    peer: { type: "string", default: DEFAULT_PEER },
    turns: { type: "string", default: "10" },
    "system-tokens": { type: "string", default: "2000" },
    threads: { type: "string", default: String(cpus().length) },
  },
});
if (!values.model) {
  console.error("usage: npm run bench:agent -- --model M.gguf [--peer PATH/llama-server] [--turns 10] [--system-tokens 2000] [--threads N]");
  process.exit(2);
}
const model = resolve(values.model);
const turns = Number(values.turns);
const threads = values.threads!;
/** About 10 tokens a line. */
const system = (who: string) => Array.from({ length: Math.ceil(Number(values["system-tokens"]) / 10) }, (_, i) => `${who} rule ${i}: name each file you change.`).join("\n");
const CTX = 8192;

interface Turn {
  label: string;
  ms: number;
  prompt: number;
  evaluated: number;
}

interface Side {
  name: string;
  url: string;
  stop(): Promise<void>;
}

async function chat(url: string, messages: Array<{ role: string; content: string }>): Promise<{ text: string; prompt: number; cached: number; ms: number }> {
  const began = performance.now();
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages, max_tokens: 16, temperature: 0 }),
  });
  const body = (await response.json()) as {
    choices: Array<{ message: { content: string } }>;
    usage: { prompt_tokens: number; prompt_tokens_details?: { cached_tokens?: number } };
    timings?: { cache_n?: number };
  };
  if (!response.ok) throw new Error(`${url}: ${response.status} ${JSON.stringify(body)}`);
  const cached = body.usage.prompt_tokens_details?.cached_tokens ?? body.timings?.cache_n ?? 0;
  return { text: body.choices[0]!.message.content ?? "", prompt: body.usage.prompt_tokens, cached, ms: performance.now() - began };
}

/** Main and subagent alternating `turns` times each, then (after `restart`) the main conversation once more. */
async function session(start: () => Promise<Side>): Promise<Turn[]> {
  const histories = { main: [{ role: "system", content: system("main") }], subagent: [{ role: "system", content: system("subagent") }] };
  const out: Turn[] = [];
  const turn = async (side: Side, who: "main" | "subagent", i: number, label: string) => {
    const history = histories[who];
    history.push({ role: "user", content: `Step ${i}: which file next?` });
    const answer = await chat(side.url, history);
    history.push({ role: "assistant", content: answer.text });
    out.push({ label, ms: answer.ms, prompt: answer.prompt, evaluated: answer.prompt - answer.cached });
  };
  let side = await start();
  for (let i = 0; i < turns; i++) {
    await turn(side, "main", i, `main ${i + 1}`);
    await turn(side, "subagent", i, `subagent ${i + 1}`);
  }
  await side.stop();
  side = await start();
  await turn(side, "main", turns, "main, after a restart");
  await side.stop();
  return out;
}

async function startOserve(cacheDir: string): Promise<Side> {
  // --repack off: the peer's repacking dies with SIGILL on some CPUs (it runs --no-repack), so both evaluate on the same kernels.
  const server: TestServer = await startServer(["--model", model, "--parallel", "1", "--ctx-size", String(CTX), "--threads", threads, "--repack", "off", "--cache-dir", cacheDir], { timeoutMs: 180_000 });
  return { name: "oserve", url: server.url, stop: async () => void (await server.stop()) };
}

async function startLlamaServer(): Promise<Side> {
  const peer = await startPeer(values.peer!, ["-m", model, "-c", String(CTX), "-np", "1", "-t", threads, "--no-repack"]);
  return { name: "llama-server", ...peer };
}

const cacheDir = mkdtempSync(join(tmpdir(), "oserve-bench-agent-"));
const oserve = await session(() => startOserve(cacheDir));
const peer = await session(startLlamaServer);
const pad = (text: string | number, width: number) => String(text).padStart(width);
console.log(`agent session: ${turns} main and ${turns} subagent turns on one sequence, ~${values["system-tokens"]}-token system prompts, then a restart; ${model}`);
console.log(`${"turn".padEnd(24)}${pad("prompt", 8)}${pad("oserve evaluated", 18)}${pad("ms", 8)}${pad("llama-server evaluated", 24)}${pad("ms", 8)}`);
for (const [i, turn] of oserve.entries()) {
  const other = peer[i]!;
  console.log(`${turn.label.padEnd(24)}${pad(turn.prompt, 8)}${pad(turn.evaluated, 18)}${pad(turn.ms.toFixed(0), 8)}${pad(other.evaluated, 24)}${pad(other.ms.toFixed(0), 8)}`);
}
const sum = (list: Turn[], key: "ms" | "evaluated") => list.reduce((total, turn) => total + turn[key], 0);
console.log(`total: oserve evaluated ${sum(oserve, "evaluated")} prompt tokens in ${(sum(oserve, "ms") / 1000).toFixed(1)} s; llama-server ${sum(peer, "evaluated")} in ${(sum(peer, "ms") / 1000).toFixed(1)} s; time ratio (llama-server / oserve) ${(sum(peer, "ms") / sum(oserve, "ms")).toFixed(2)}×`);
