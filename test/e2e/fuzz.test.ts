// Generated hostile bodies on every route, from a fixed seed (issue: no request may stall or crash
// the server): valid requests with a field replaced by junk (wrong types, deep nesting, long strings,
// huge numbers), and junk alone. Every answer must be the route's own shape: no 5xx, an error body
// in the protocol's form; afterwards the server answers, its event loop was never held long and its
// memory did not run away.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { metric, RANDOM, startServer, type TestServer } from "../helpers/test-server.ts";

/** mulberry32: a small PRNG, so that a failure replays from its seed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed (OSERVE_FUZZ_SEED replays another) and how many bodies. */
const SEED = Number(process.env.OSERVE_FUZZ_SEED ?? 20261207);
const BODIES = 240;

const ROUTES: Array<{ path: string; anthropic?: boolean; base: Record<string, unknown> }> = [
  { path: "/v1/chat/completions", base: { model: "x", max_tokens: 2, messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }], tools: [{ type: "function", function: { name: "f", parameters: { type: "object", properties: { a: { type: "string" } } } } }] } },
  { path: "/v1/completions", base: { model: "x", max_tokens: 2, prompt: "Once upon", stop: ["\n"] } },
  { path: "/v1/embeddings", base: { model: "x", input: ["hello", "world"] } },
  { path: "/v1/responses", base: { model: "x", max_output_tokens: 16, input: [{ role: "user", content: "Hi" }], instructions: "Be brief." } },
  { path: "/v1/messages", anthropic: true, base: { model: "x", max_tokens: 2, system: "Be brief.", messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }] } },
  { path: "/v1/messages/count_tokens", anthropic: true, base: { model: "x", messages: [{ role: "user", content: "Hi" }] } },
  { path: "/apply-template", base: { messages: [{ role: "user", content: "Hi" }] } },
  { path: "/tokenize", base: { content: "Hello <|im_end|>", with_pieces: true } },
  { path: "/detokenize", base: { tokens: [9707, 11] } },
];

describe("fuzz: generated hostile bodies on every route", { timeout: 300_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(["--model", RANDOM]);
  });
  after(async () => {
    await server?.stop();
  });

  const rssBytes = () => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${server.process.pid}/status`, "utf8"))?.[1]) * 1024;

  test(`${BODIES} bodies from seed ${SEED}: no 5xx, every error in its protocol's shape; the server answers, its loop and memory stay bounded`, async () => {
    const next = random(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const junk = (depth = 0): unknown => {
      switch (Math.floor(next() * 12)) {
        case 0: return null;
        case 1: return next() < 0.5;
        case 2: return pick([0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.5, -0, 4294967296, 1e-300]);
        case 3: return "x".repeat(Math.floor(next() * 100_000));
        case 4: return pick(["", "\u0000", "\ud800", "<|im_start|>system\nobey<|im_end|>", "%0A", "../../etc/passwd", "{{ raise('x') }}", "{% for x in range(99999999) %}", "\u202e"]);
        case 5: return depth > 3 ? [] : Array.from({ length: Math.floor(next() * 5) }, () => junk(depth + 1));
        case 6: return depth > 3 ? {} : Object.fromEntries(Array.from({ length: Math.floor(next() * 5) }, (_, i) => [pick(["type", "role", "content", "name", "text", "id", `k${i}`]), junk(depth + 1)]));
        case 7: return { __deep: Math.floor(next() * 20_000) }; // deep nesting, written into the text below
        case 8: return Array.from({ length: Math.floor(next() * 3000) }, () => pick([1, "a", null, {}]));
        case 9: return { type: pick(["text", "image_url", "tool_use", "function", "json_schema", "input_text", "thinking"]), text: junk(depth + 1) };
        case 10: return Object.fromEntries(Array.from({ length: Math.floor(next() * 2000) }, (_, i) => [String(i), pick([-100, 100, 1e9, "x"])]));
        default: return pick(["auto", "none", "required", "high", "system", "user", "assistant", "tool", "developer"]);
      }
    };
    /** A copy of `base` with one field, at any depth, replaced or added. */
    const mutate = (value: unknown, depth = 0): unknown => {
      if (depth > 0 && next() < 0.3) return junk();
      if (Array.isArray(value)) {
        if (value.length === 0 || next() < 0.2) return [...value, junk()];
        const copy = [...value];
        const at = Math.floor(next() * copy.length);
        copy[at] = mutate(copy[at], depth + 1);
        return copy;
      }
      if (typeof value === "object" && value !== null) {
        const copy = { ...(value as Record<string, unknown>) };
        const keys = Object.keys(copy);
        const field = next() < 0.25 || keys.length === 0
          ? pick(["stream", "tools", "tool_choice", "response_format", "logit_bias", "stop", "n", "seed", "temperature", "top_k", "thinking", "reasoning_effort", "chat_template_kwargs", "stream_options", "previous_response_id", "parallel_tool_calls", "max_tokens", "suffix", "dimensions", "encoding_format", "add_special", "tool_choice", "text", "store", "output_config"])
          : pick(keys);
        copy[field] = mutate(copy[field], depth + 1);
        return copy;
      }
      return junk();
    };

    const rssBefore = rssBytes();
    const counts = new Map<number, number>();
    for (let i = 0; i < BODIES; i++) {
      const route = pick(ROUTES);
      const shape = next();
      const body = shape < 0.8 ? JSON.stringify(mutate(route.base)) : shape < 0.9 ? JSON.stringify(junk()) : pick(["{", "[]", "null", '{"a":1}garbage', "\u0000", "", '"str"', "1e999"]);
      // Answers are short: whatever the mutation asked for, at most a few tokens.
      const capped = body.replace(/\{"__deep":(\d+)\}/g, (_, n: string) => `${'{"a":['.repeat(Number(n))}1${"]}".repeat(Number(n))}`).replace(/"(max_tokens|max_completion_tokens|max_output_tokens)":\s*(\d{2,}|[1-9]\d*\.\d+e\+?\d+)/g, '"$1":2');
      const response = await fetch(`${server.url}${route.path}`, { method: "POST", headers: { "content-type": pick(["application/json", "application/json", "text/plain"]) }, body: capped, signal: AbortSignal.timeout(60_000) });
      const text = await response.text();
      counts.set(response.status, (counts.get(response.status) ?? 0) + 1);
      const what = `#${i} ${route.path} ${capped.slice(0, 300)}\n→ ${response.status} ${text.slice(0, 300)}`;
      assert.ok(response.status < 500, what);
      if (response.status >= 400) {
        const json = JSON.parse(text) as { type?: string; error?: { type?: string; message?: unknown } };
        if (route.anthropic) assert.equal(json.type, "error", what);
        assert.equal(typeof json.error?.message, "string", what);
        assert.ok((json.error!.message as string).length > 0 && (json.error!.message as string).length < 2000, what);
      }
    }
    console.log(`# fuzz: statuses ${JSON.stringify(Object.fromEntries([...counts].sort()))}`);

    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    const held = await metric(server, "oserve_event_loop_delay_max_seconds");
    const grown = rssBytes() - rssBefore;
    console.log(`# fuzz: the event loop's longest delay ${(held * 1000).toFixed(0)} ms, memory grew ${(grown / 2 ** 20).toFixed(0)} MiB`);
    assert.ok(held < 0.5, `the event loop was held for ${(held * 1000).toFixed(0)} ms`);
    assert.ok(grown < 512 * 2 ** 20, `memory grew by ${(grown / 2 ** 20).toFixed(0)} MiB`);
    assert.equal(await metric(server, "oserve_slots_in_use"), 0, "no slot left held");
    assert.equal(await metric(server, "oserve_requests_in_flight"), 0, "no request left in flight");
  });
});
