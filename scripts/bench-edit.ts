// Usage: npm run bench:edit -- --model M.gguf (--messages FILE.json | --question TEXT) [--peer PATH/llama-server]
//          [--runs 3] [--max-tokens 512] [--threads N]
// An answer that repeats its prompt (an agent rewriting a file it has just read), timed side by side:
// oserve plain (--spec-type none) and by default (ngram), llama-server by default and with its n-gram speculation
// (ngram-simple, ngram-mod), one after the other on the same model, window and threads, greedy.
// --messages: the chat to send (a JSON array of {role, content}: an edit request with the file in
// it). --question: a chat made here instead, the question asked again after oserve's own answer to
// it (a model that cannot copy a file still repeats its own answer). Prints each side's tokens/s
// (best of the runs, the prompt cached after the first) and its ratio to llama-server's default.
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { startServer } from "../test/helpers/test-server.ts";
import { DEFAULT_PEER, startPeer } from "./peer.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    messages: { type: "string" },
    question: { type: "string" },
    peer: { type: "string", default: DEFAULT_PEER },
    runs: { type: "string", default: "3" },
    "max-tokens": { type: "string", default: "512" },
    threads: { type: "string", default: String(cpus().length) },
  },
});
if (!values.model || (!values.messages && !values.question)) {
  console.error("usage: npm run bench:edit -- --model M.gguf (--messages FILE.json | --question TEXT) [--peer PATH] [--runs 3] [--max-tokens 512] [--threads N]");
  process.exit(2);
}
const model = resolve(values.model);
const threads = values.threads!;
const CTX = 8192;
type Message = { role: string; content: string };

interface Server {
  url: string;
  stop(): Promise<void>;
}

interface Timed {
  tokens: number;
  tokensPerSecond: number;
  text: string;
}

async function chat(url: string, messages: Message[]): Promise<{ text: string; tokens: number; ms: number }> {
  const began = performance.now();
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages, max_tokens: Number(values["max-tokens"]), temperature: 0 }),
  });
  const body = (await response.json()) as { choices: Array<{ message: { content: string } }>; usage: { completion_tokens: number } };
  if (!response.ok) throw new Error(`${url}: ${response.status} ${JSON.stringify(body)}`);
  return { text: body.choices[0]!.message.content ?? "", tokens: body.usage.completion_tokens, ms: performance.now() - began };
}

async function oserve(flags: string[] = []): Promise<Server> {
  // --repack off: the peer runs --no-repack (its repacking dies with SIGILL on some CPUs), so both evaluate on the same kernels.
  const server = await startServer(["--model", model, "--parallel", "1", "--ctx-size", String(CTX), "--threads", threads, "--repack", "off", ...flags], { timeoutMs: 180_000 });
  return { url: server.url, stop: async () => void (await server.stop()) };
}

const llamaServer = (flags: string[] = []) => startPeer(values.peer!, ["-m", model, "-c", String(CTX), "-np", "1", "-t", threads, "--no-repack", "--jinja", ...flags]);

async function timed(start: () => Promise<Server>, messages: Message[]): Promise<Timed> {
  const server = await start();
  try {
    let best: { text: string; tokens: number; ms: number } | null = null;
    for (let run = 0; run < Number(values.runs); run++) {
      const answer = await chat(server.url, messages);
      if (!best || answer.ms < best.ms) best = answer;
    }
    return { tokens: best!.tokens, tokensPerSecond: (best!.tokens / best!.ms) * 1000, text: best!.text };
  } finally {
    await server.stop();
  }
}

async function askedAgain(question: string): Promise<Message[]> {
  const server = await oserve(["--spec-type", "none"]);
  try {
    const { text } = await chat(server.url, [{ role: "user", content: question }]);
    return [{ role: "user", content: question }, { role: "assistant", content: text }, { role: "user", content: question }];
  } finally {
    await server.stop();
  }
}

const messages: Message[] = values.messages ? (JSON.parse(readFileSync(values.messages, "utf8")) as Message[]) : await askedAgain(values.question!);
const sides: Array<[string, () => Promise<Server>]> = [
  ["llama-server", () => llamaServer()],
  ["llama-server --spec-type ngram-simple", () => llamaServer(["--spec-type", "ngram-simple"])],
  ["llama-server --spec-type ngram-mod", () => llamaServer(["--spec-type", "ngram-mod"])],
  ["oserve --spec-type none", () => oserve(["--spec-type", "none"])],
  ["oserve (--spec-type ngram)", () => oserve(["--spec-type", "ngram"])],
];
const results: Array<[string, Timed]> = [];
for (const [name, start] of sides) results.push([name, await timed(start, messages)]);
const base = results[0]![1].tokensPerSecond;
console.log(`an answer that repeats its prompt: ${model}, ${threads} threads, best of ${values.runs}`);
for (const [name, result] of results) {
  console.log(`${name.padEnd(40)}${result.tokens.toString().padStart(6)} tokens ${result.tokensPerSecond.toFixed(1).padStart(8)} tok/s  ${(result.tokensPerSecond / base).toFixed(2)}x  ${JSON.stringify(result.text.slice(0, 32))}`);
}
