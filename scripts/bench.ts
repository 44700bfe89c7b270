// Usage: npm run bench [-- --model PATH --threads N --rounds 5 --max-tokens 128 --conc 1,2,4
//                        --peer URL --unique --url URL --thread-sweep 1,2]
// Sends the same streamed chat requests (temperature 0) to an oserve server at each concurrency,
// through the same hono app called in-process (no socket), and through the engine adapter alone,
// round by round in turn. Prints time to first token (p50, p95), decode tokens/s per stream and
// aggregate, the ratios to the engine alone, and the server's peak RSS.
// --peer URL adds another OpenAI-compatible server (llama.cpp's llama-server, started by you with
// the same model, threads and slots; ../shared/tools/side-by-side.sh shows how) to the rounds, and
// prints oserve's aggregate tokens/s over the peer's and the TTFT difference: the speed ratio that
// matters, measured in one run under the same drift.
// --unique gives every request its own prompt (a long one, as ../shared/tools/bench.mjs sends), so
// that no server answers from a cached prefix; without it, 8 short prompts take turns.
// --url sends the load to any running OpenAI-compatible server instead of starting oserve (the
// in-process sides still run here).
// --thread-sweep also measures in-process decode speed for each thread count.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadLlamaEngine } from "../src/engine/llama-load.ts";
import type { Engine, GenerationRequest } from "../src/engine/types.ts";
import { DISK } from "../src/config/disk.ts";
import { resolveConfig } from "../src/config/resolve.ts";
import { servedEngines } from "../test/helpers/served-engines.ts";
import { parseChatRequest } from "../src/openai/chat-request.ts";
import { capJitTier } from "../src/jit-tier.ts";
import { createApp } from "../src/server.ts";
import { ServerState } from "../src/server-state.ts";
import { RANDOM, startServer } from "../test/helpers/test-server.ts";
import { postChat } from "../test/helpers/sse-frames.ts";

// The in-process sides run at the tier the server runs at (docs/configuration.md, Node's JIT).
capJitTier();

const { values } = parseArgs({
  options: {
    model: { type: "string", default: RANDOM },
    threads: { type: "string", default: "1" },
    rounds: { type: "string", default: "5" },
    "max-tokens": { type: "string", default: "128" },
    url: { type: "string" },
    "thread-sweep": { type: "string" },
    conc: { type: "string", default: "1,2,4" },
    peer: { type: "string" },
    unique: { type: "boolean", default: false },
  },
});
const threads = Number(values.threads);
const rounds = Number(values.rounds);
const maxTokens = Number(values["max-tokens"]);
const CONCURRENCY = values.conc!.split(",").map(Number);
const PROMPTS = ["Tell me a story.", "Hello", "What is the capital of France?", "Describe the sea.", "What is 3 plus 4?", "List colors.", "Weather in Oslo?", "Say something."];
const LONG_PROMPT = "Write a detailed, multi-paragraph explanation of how a hash table works, including hashing, collisions, and resizing.";
const RUN = Date.now();

/** One generation as measured from outside: when its first token came, its last, and how many. */
interface Sample {
  ttftMs: number;
  decodeMs: number;
  tokens: number;
}

const body = (i: number) => ({
  model: "bench",
  messages: [{ role: "user", content: values.unique ? `[req ${i} ${RUN}] ${LONG_PROMPT}` : PROMPTS[i % PROMPTS.length] }],
  temperature: 0,
  max_tokens: maxTokens,
  stream: true,
  stream_options: { include_usage: true },
});

/**
 * Reads the stream raw and notes when content arrives, parsing only at the end: the client shares
 * this machine's cores with the server, so it should do as little as it can per token.
 */
async function streamed(send: (body: object) => Promise<Response>, i: number): Promise<Sample> {
  const started = performance.now();
  const response = await send(body(i));
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let first = 0;
  let last = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (CONTENT.test(value)) {
      last = performance.now() - started;
      if (!first) first = last;
    }
    text += value;
  }
  // Any server's field order: the usage chunk's completion_tokens.
  const usage = /"completion_tokens":(\d+)/.exec(text.slice(text.lastIndexOf('"usage":{')));
  return { ttftMs: first, decodeMs: last - first, tokens: Number(usage?.[1] ?? 0) };
}

/** A chunk with non-empty content (a keepalive chunk's content is empty). */
const CONTENT = /"content":"[^"]/;

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

let requestNumber = 1;
/** The peer's index among the sides (it comes last), and the pause after each of its rounds. */
const PEER_SIDE = 3;
const PEER_SETTLE_MS = 1000;

/** Every side, round by round in turn, so that drift in the machine's speed touches all alike. */
async function measure(sides: Array<(i: number) => Promise<Sample>>): Promise<Array<Map<number, Row>>> {
  for (const run of sides) await run(0); // warm-up
  await new Promise((resolve) => setTimeout(resolve, PEER_SETTLE_MS));
  const results = sides.map(() => new Map<number, Row>());
  for (const concurrency of CONCURRENCY) {
    const samples: Sample[][] = sides.map(() => []);
    const wallMs = sides.map(() => 0);
    for (let round = 0; round < rounds; round++) {
      for (const [side, run] of sides.entries()) {
        const started = performance.now();
        samples[side]!.push(...(await Promise.all(Array.from({ length: concurrency }, () => run(requestNumber++)))));
        wallMs[side]! += performance.now() - started;
        // llama-server's decode threads spin for a while after its last token (its --poll 50, about
        // 0.3 s on this machine), which would land on the next side's round: let them settle.
        if (side === PEER_SIDE) await new Promise((resolve) => setTimeout(resolve, PEER_SETTLE_MS));
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

const signed = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(1)}`;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function peakRssMiB(pid: number): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return hwm ? Number(hwm[1]) / 1024 : NaN;
}

try {
  const engineOptions = { modelPath: values.model!, modelId: "bench", contextSize: 1024, threads, gpuLayers: "auto" as const, repack: true, parallel: 4, maxQueue: 64 };
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let baseURL = values.url?.replace(/\/$/, "");
  if (!baseURL) {
    server = await startServer(["--model", values.model!, "--threads", String(threads), "--parallel", "4", "--ctx-size", "1024"]);
    baseURL = server.baseURL;
  }
  // Three sides, each idle while another runs: the server over a socket; the same hono app and
  // SSE pipeline called in this process (no socket, no second process); the engine alone.
  const engine = await loadLlamaEngine(engineOptions);
  const state = new ServerState(resolveConfig({ model: values.model, "keepalive-interval": "10" }, {}, DISK));
  state.serve(await servedEngines([engine]));
  const app = createApp(state);
  const appRequest = (json: object) => Promise.resolve(app.request("/v1/chat/completions", { method: "POST", body: JSON.stringify(json) }));
  const peerURL = values.peer?.replace(/\/$/, "");
  const sides: Array<(i: number) => Promise<Sample>> = [
    (i) => streamed((json) => postChat(baseURL!, json), i),
    (i) => streamed(appRequest, i),
    (i) => inProcess(engine, i),
  ];
  if (peerURL) sides.push((i) => streamed((json) => postChat(peerURL, json), i));
  const [http, inApp, local, peer] = (await measure(sides)) as [Map<number, Row>, Map<number, Row>, Map<number, Row>, Map<number, Row> | undefined];
  const rss = server ? peakRssMiB(server.process.pid!) : NaN;
  await server?.stop();
  await engine.close();

  console.log(`model ${values.model}; threads ${threads}; ${rounds} rounds; max_tokens ${maxTokens}; ${values.unique ? "unique prompts" : "8 prompts in turn"}; server ${values.url ?? "oserve (started here)"}\n`);
  const head = ["conc", "side", "TTFT p50", "TTFT p95", "tok/s/stream", "tok/s total"];
  console.log(head.map((h, i) => (i < 2 ? h.padEnd(12) : h.padStart(13))).join(""));
  const ratio = (label: string, side: Row, base: Row) =>
    console.log(
      `${"".padEnd(12)}${label.padEnd(12)}${(base.ttftP50 / side.ttftP50).toFixed(2).padStart(13)}${(base.ttftP95 / side.ttftP95).toFixed(2).padStart(13)}` +
        `${(side.perStream / base.perStream).toFixed(2).padStart(13)}${(side.aggregate / base.aggregate).toFixed(2).padStart(13)}`,
    );
  for (const concurrency of CONCURRENCY) {
    const rows: Array<[string, Row]> = [["server", http.get(concurrency)!], ["app", inApp.get(concurrency)!], ["in-process", local.get(concurrency)!]];
    if (peer) rows.push(["peer", peer.get(concurrency)!]);
    for (const [side, row] of rows) {
      console.log(
        [String(concurrency).padEnd(12), side.padEnd(12), `${row.ttftP50.toFixed(1)} ms`, `${row.ttftP95.toFixed(1)} ms`, row.perStream.toFixed(0), row.aggregate.toFixed(0)]
          .map((cell, i) => (i < 2 ? cell : cell.padStart(13)))
          .join(""),
      );
    }
    ratio("server/in", http.get(concurrency)!, local.get(concurrency)!);
    ratio("app/in", inApp.get(concurrency)!, local.get(concurrency)!);
  }
  console.log("\n(server: over a loopback socket from this process; app: the same hono app and SSE pipeline called in-process;");
  console.log(" ratios are speed over in-process speed, for TTFT in-process time over the side's time: 1.00 costs nothing)");
  const [low, high] = [CONCURRENCY[0]!, CONCURRENCY.at(-1)!];
  const scaling = (side: Map<number, Row>) => `${(side.get(high)!.aggregate / side.get(low)!.aggregate).toFixed(2)}x`;
  console.log(`aggregate tok/s at ${high} vs ${low}: server ${scaling(http)}, in-process ${scaling(local)}${peer ? `, peer ${scaling(peer)}` : ""}`);
  if (peer) {
    console.log(`\noserve (server) against the peer at ${peerURL}:`);
    for (const concurrency of CONCURRENCY) {
      const [ours, theirs] = [http.get(concurrency)!, peer.get(concurrency)!];
      console.log(
        `  conc ${concurrency}: aggregate ${(ours.aggregate / theirs.aggregate).toFixed(2)}x (${ours.aggregate.toFixed(0)} vs ${theirs.aggregate.toFixed(0)} tok/s), ` +
          `per stream ${(ours.perStream / theirs.perStream).toFixed(2)}x, TTFT p50 ${ours.ttftP50.toFixed(1)} vs ${theirs.ttftP50.toFixed(1)} ms (${signed(ours.ttftP50 - theirs.ttftP50)} ms)`,
      );
    }
  }
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
