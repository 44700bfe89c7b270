// Usage: npm run bench [-- --model PATH --threads N --rounds 5 --max-tokens 128 --url URL --thread-sweep 1,2]
// Sends the same streamed chat requests (fixed prompts, temperature 0) to an oserve server at
// concurrency 1, 2 and 4, and runs the same generations in-process through the engine adapter
// (no HTTP), round by round in turn, and prints time to first token, decode tokens/s per stream and aggregate, and the
// server/in-process ratios, plus the server's peak RSS. --url sends the load to any running
// OpenAI-compatible server instead of starting oserve (its in-process side still runs here).
// --thread-sweep also measures in-process decode speed for each thread count.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadLlamaEngine } from "../src/engine/llama.ts";
import type { Engine, GenerationRequest } from "../src/engine/types.ts";
import { parseChatRequest } from "../src/openai/chat-request.ts";
import { RANDOM, startServer } from "../test/e2e/server.ts";
import { postChat, readFrames } from "../test/e2e/sse.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: RANDOM },
    threads: { type: "string", default: "1" },
    rounds: { type: "string", default: "5" },
    "max-tokens": { type: "string", default: "128" },
    url: { type: "string" },
    "thread-sweep": { type: "string" },
  },
});
const threads = Number(values.threads);
const rounds = Number(values.rounds);
const maxTokens = Number(values["max-tokens"]);
const CONCURRENCY = [1, 2, 4];
const PROMPTS = ["Tell me a story.", "Hello", "What is the capital of France?", "Describe the sea.", "What is 3 plus 4?", "List colors.", "Weather in Oslo?", "Say something."];

/** One generation as measured from outside: when its first token came, its last, and how many. */
interface Sample {
  ttftMs: number;
  decodeMs: number;
  tokens: number;
}

const body = (i: number) => ({
  model: "bench",
  messages: [{ role: "user", content: PROMPTS[i % PROMPTS.length] }],
  temperature: 0,
  max_tokens: maxTokens,
  stream: true,
  stream_options: { include_usage: true },
});

async function overHttp(baseURL: string, i: number): Promise<Sample> {
  const started = performance.now();
  const frames = await readFrames(await postChat(baseURL, body(i)), started);
  const chunks = frames.filter((f) => f.data && f.data !== "[DONE]").map((f) => ({ at: f.at, json: JSON.parse(f.data!) }));
  const content = chunks.filter((c) => (c.json.choices?.[0]?.delta?.content ?? "") !== "");
  const usage = chunks.find((c) => c.json.usage)?.json.usage;
  return { ttftMs: content[0]!.at, decodeMs: content.at(-1)!.at - content[0]!.at, tokens: usage?.completion_tokens ?? content.length };
}

async function inProcess(engine: Engine, i: number): Promise<Sample> {
  const started = performance.now();
  const request: GenerationRequest = parseChatRequest(body(i)).generation;
  const prepared = await engine.prepare(request);
  let first = 0;
  let last = 0;
  let tokens = 0;
  for await (const event of prepared.run(new AbortController().signal)) {
    if (event.type === "text" && event.text !== "") {
      last = performance.now() - started;
      if (!first) first = last;
    }
    if (event.type === "usage") tokens = event.usage.completionTokens;
  }
  return { ttftMs: first, decodeMs: last - first, tokens };
}

interface Row {
  ttftP50: number;
  ttftP95: number;
  perStream: number;
  aggregate: number;
}

/** Both sides, round by round in turn, so that drift in the machine's speed touches both alike. */
async function measure(sides: Array<(i: number) => Promise<Sample>>): Promise<Array<Map<number, Row>>> {
  for (const run of sides) await run(0); // warm-up
  const results = sides.map(() => new Map<number, Row>());
  for (const concurrency of CONCURRENCY) {
    const samples: Sample[][] = sides.map(() => []);
    const wallMs = sides.map(() => 0);
    for (let round = 0; round < rounds; round++) {
      for (const [side, run] of sides.entries()) {
        const started = performance.now();
        samples[side]!.push(...(await Promise.all(Array.from({ length: concurrency }, (_, k) => run(round * concurrency + k)))));
        wallMs[side]! += performance.now() - started;
      }
    }
    for (const [side, sideSamples] of samples.entries()) {
      const ttft = sideSamples.map((s) => s.ttftMs).sort((a, b) => a - b);
      results[side]!.set(concurrency, {
        ttftP50: percentile(ttft, 0.5),
        ttftP95: percentile(ttft, 0.95),
        perStream: mean(sideSamples.map((s) => ((s.tokens - 1) / s.decodeMs) * 1000)),
        aggregate: (sideSamples.reduce((n, s) => n + s.tokens, 0) / wallMs[side]!) * 1000,
      });
    }
  }
  return results;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function peakRssMiB(pid: number): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return hwm ? Number(hwm[1]) / 1024 : NaN;
}

try {
  const engineOptions = { modelPath: values.model!, modelId: "bench", contextSize: 1024, threads, gpuLayers: "auto" as const, parallel: 4, maxQueue: 64 };
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let baseURL = values.url?.replace(/\/$/, "");
  if (!baseURL) {
    server = await startServer(["--model", values.model!, "--threads", String(threads), "--parallel", "4", "--ctx-size", "1024"]);
    baseURL = server.baseURL;
  }
  // The server idles while the in-process side runs and the other way round: loaded, not busy.
  const engine = await loadLlamaEngine(engineOptions);
  const [http, local] = (await measure([(i) => overHttp(baseURL!, i), (i) => inProcess(engine, i)])) as [Map<number, Row>, Map<number, Row>];
  const rss = server ? peakRssMiB(server.process.pid!) : NaN;
  await server?.stop();
  await engine.close();

  console.log(`model ${values.model}; threads ${threads}; ${rounds} rounds; max_tokens ${maxTokens}; server ${values.url ?? "oserve (started here)"}\n`);
  const head = ["conc", "side", "TTFT p50", "TTFT p95", "tok/s/stream", "tok/s total"];
  console.log(head.map((h, i) => (i < 2 ? h.padEnd(12) : h.padStart(13))).join(""));
  for (const concurrency of CONCURRENCY) {
    const rows: Array<[string, Row]> = [["server", http.get(concurrency)!], ["in-process", local.get(concurrency)!]];
    for (const [side, row] of rows) {
      console.log(
        [String(concurrency).padEnd(12), side.padEnd(12), `${row.ttftP50.toFixed(1)} ms`, `${row.ttftP95.toFixed(1)} ms`, row.perStream.toFixed(0), row.aggregate.toFixed(0)]
          .map((cell, i) => (i < 2 ? cell : cell.padStart(13)))
          .join(""),
      );
    }
    const [s, l] = [http.get(concurrency)!, local.get(concurrency)!];
    console.log(`${"".padEnd(12)}${"ratio".padEnd(12)}${(l.ttftP50 / s.ttftP50).toFixed(2).padStart(13)}${(l.ttftP95 / s.ttftP95).toFixed(2).padStart(13)}${(s.perStream / l.perStream).toFixed(2).padStart(13)}${(s.aggregate / l.aggregate).toFixed(2).padStart(13)}`);
  }
  console.log("\n(ratio: server speed / in-process speed; for TTFT, in-process time / server time: 1.00 means HTTP costs nothing)");
  console.log(`aggregate tok/s at 4 vs 1: server ${(http.get(4)!.aggregate / http.get(1)!.aggregate).toFixed(2)}x, in-process ${(local.get(4)!.aggregate / local.get(1)!.aggregate).toFixed(2)}x`);
  if (server) console.log(`server peak RSS: ${rss.toFixed(0)} MiB`);

  if (values["thread-sweep"]) {
    console.log("\nin-process decode speed by thread count (concurrency 1):");
    for (const n of values["thread-sweep"].split(",").map(Number)) {
      const swept = await loadLlamaEngine({ ...engineOptions, threads: n });
      const samples = [];
      for (let i = 0; i < rounds; i++) samples.push(await inProcess(swept, i));
      await swept.close();
      console.log(`  threads ${n}: ${mean(samples.map((s) => ((s.tokens - 1) / s.decodeMs) * 1000)).toFixed(0)} tok/s`);
    }
  }
} catch (error) {
  console.error(`bench: ${(error as Error).stack ?? error}`);
  process.exit(1);
}
