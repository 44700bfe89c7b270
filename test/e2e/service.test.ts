// Running it as a service and as a test fixture: API key, CORS, metrics, access logs, `oserve run`,
// --ready-file, and models from a URL (a local server stands in for the hub).
import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
// @ts-expect-error: the package ships no types; it returns the metric families as plain objects.
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { drain, expectAborted, RANDOM, runCli, startServer, TINY_CHAT, until, untilFirstContent, type TestServer } from "../helpers/test-server.ts";
import { readFrames } from "../helpers/sse-frames.ts";
import { serveModel } from "../helpers/local-model-hub.ts";

const KEY = "sk-local-test-key";
const auth = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };

interface MetricFamily {
  name: string;
  /** A histogram's observations are its `+Inf` bucket: this parser leaves out count and sum (see families()). */
  metrics: Array<{ value?: string; count?: string; buckets?: Record<string, string>; labels?: Record<string, string> }>;
}

describe("--api-key, --cors, metrics and access logs", () => {
  let server: TestServer;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), "oserve-key-"));
    writeFileSync(join(dir, "key"), `${KEY}\n`);
    server = await startServer(["--model", TINY_CHAT, "--api-key-file", join(dir, "key"), "--cors", "http://app.test", "--parallel", "1", "--max-queue", "0"]);
  });
  after(() => server?.stop());

  const families = async (): Promise<Map<string, MetricFamily>> => {
    const response = await fetch(`${server.url}/metrics`, { headers: auth });
    assert.equal(response.status, 200);
    const text = await response.text();
    const parsed = parsePrometheusTextFormat(text) as MetricFamily[];
    const map = new Map(parsed.map((family) => [family.name, family]));
    // The parser folds a histogram's labelled series into one: each series' count is read from its `_count` line instead.
    for (const [, name, labels, value] of text.matchAll(/^(\w+_count)\{([^}]*)\} (\S+)$/gm)) {
      const family = map.get(name!) ?? { name: name!, metrics: [] };
      family.metrics.push({ value, labels: Object.fromEntries([...labels!.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k!, v!])) });
      map.set(name!, family);
    }
    return map;
  };
  const sum = (family: MetricFamily | undefined, labels: Record<string, string> = {}) =>
    (family?.metrics ?? []).filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)).reduce((total, m) => total + Number(m.value ?? m.count ?? m.buckets?.["+Inf"] ?? 0), 0);

  test("every route family needs the key (401 in its own shape); /health does not", async () => {
    const routes: Array<[string, string, object | null]> = [
      ["GET", "/v1/models", null],
      ["POST", "/v1/chat/completions", { messages: [{ role: "user", content: "Hello" }], max_tokens: 2 }],
      ["POST", "/v1/completions", { prompt: "Hello", max_tokens: 2 }],
      ["POST", "/v1/embeddings", { input: "Hello" }],
      ["POST", "/v1/responses", { input: "Hello", max_output_tokens: 2 }],
      ["POST", "/v1/messages", { model: "x", max_tokens: 2, messages: [{ role: "user", content: "Hello" }] }],
      ["GET", "/metrics", null],
    ];
    for (const [method, path, body] of routes) {
      const send = (headers: Record<string, string>) => fetch(`${server.url}${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
      for (const headers of [{}, { authorization: "Bearer wrong" }] as Array<Record<string, string>>) {
        const denied = await send(headers);
        assert.equal(denied.status, 401, `${path} without the right key`);
        const error = await denied.json();
        if (path.startsWith("/v1/messages")) assert.deepEqual([error.type, error.error.type], ["error", "authentication_error"]);
        else assert.equal(error.error.code, "invalid_api_key");
      }
      assert.equal((await send(auth)).status, 200, `${path} with the key`);
    }
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    const anthropic = new Anthropic({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
    assert.equal((await anthropic.messages.create({ model: "x", max_tokens: 2, messages: [{ role: "user", content: "Hello" }] })).type, "message");
    const openai = new OpenAI({ baseURL: server.baseURL, apiKey: KEY, maxRetries: 0 });
    assert.equal((await openai.models.list()).data.length, 1);
  });

  test("CORS: the preflight is answered without a key, and a browser-style streamed fetch with Origin reads the stream", async () => {
    const preflight = await fetch(`${server.baseURL}/chat/completions`, {
      method: "OPTIONS",
      headers: { origin: "http://app.test", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "http://app.test");
    assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /authorization/);
    const response = await fetch(`${server.baseURL}/chat/completions`, {
      method: "POST",
      headers: { ...auth, origin: "http://app.test" },
      body: JSON.stringify({ messages: [{ role: "user", content: "Hello" }], stream: true, temperature: 0 }),
    });
    assert.equal(response.headers.get("access-control-allow-origin"), "http://app.test");
    assert.match(response.headers.get("access-control-expose-headers") ?? "", /x-request-id/);
    const frames = await readFrames(response);
    assert.equal(frames.at(-1)!.data, "[DONE]");
    const other = await fetch(`${server.baseURL}/models`, { headers: { ...auth, origin: "http://evil.test" } });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  });

  test("/metrics parses as Prometheus text, and its counters move with a stream, a 429 and a disconnect", async () => {
    const before = await families();
    const ask = (body: object, signal?: AbortSignal) => fetch(`${server.baseURL}/chat/completions`, { method: "POST", headers: auth, body: JSON.stringify(body), signal });
    await readFrames(await ask({ messages: [{ role: "user", content: "Hello" }], stream: true, temperature: 0 }));
    // The only slot busy and no queue: the next request is a 429.
    const abort = new AbortController();
    // A held slot: the trained model's own answer ends in 10 tokens (the stream could end before the
    // abort, and count no disconnect), so a format holds it to a 1500-character string (seconds).
    const long = { type: "json_schema", json_schema: { name: "story", schema: { type: "object", properties: { story: { type: "string", minLength: 1500 } }, required: ["story"] } } };
    const holding = expectAborted(drain(ask({ messages: [{ role: "user", content: "Tell me a story." }], stream: true, temperature: 0, max_tokens: 1500, response_format: long }, abort.signal)));
    await until(async () => (await (await fetch(`${server.url}/health`)).json()).slots_in_use === 1, 2000, "the slot busy");
    assert.equal((await ask({ messages: [{ role: "user", content: "Hello" }] })).status, 429);
    const busy = await families();
    assert.equal(sum(busy.get("oserve_slots_in_use")), 1);
    abort.abort();
    await holding;
    await until(async () => (await (await fetch(`${server.url}/health`)).json()).slots_in_use === 0, 5000, "the slot free");
    // A request's metrics are taken when its response is over: poll until the dropped one's are in.
    let afterwards = await families();
    const delta = (name: string, labels: Record<string, string> = {}) => sum(afterwards.get(name), labels) - sum(before.get(name), labels);
    await until(async () => {
      afterwards = await families();
      return delta("oserve_client_disconnects_total") >= 1;
    }, 5000, "the disconnect counted");
    assert.ok(delta("oserve_requests_total", { route: "/v1/chat/completions", status: "200" }) >= 2);
    assert.equal(delta("oserve_requests_total", { route: "/v1/chat/completions", status: "429" }), 1);
    assert.ok(delta("oserve_completion_tokens_total", { route: "/v1/chat/completions" }) >= 5);
    const chat = { route: "/v1/chat/completions" };
    assert.ok(delta("oserve_time_to_first_token_seconds_count", chat) >= 1, "the stream's TTFT");
    assert.ok(delta("oserve_request_duration_seconds_count", chat) >= 3, "the stream, the 429 and the dropped one");
    assert.ok(delta("oserve_keepalives_total", { mode: "chunk" }) >= 2);
    assert.equal(delta("oserve_client_disconnects_total"), 1);
    assert.equal(delta("oserve_generations_aborted_total"), 1);
    assert.equal(sum(afterwards.get("oserve_queue_depth")), 0);
  });

  test("access lines (text): one per request after it ends, with the client's own x-request-id echoed", async () => {
    const response = await fetch(`${server.baseURL}/chat/completions`, {
      method: "POST",
      headers: { ...auth, "x-request-id": "my-request-42" },
      body: JSON.stringify({ messages: [{ role: "user", content: "Hello" }], stream: true, temperature: 0 }),
    });
    assert.equal(response.headers.get("x-request-id"), "my-request-42");
    await readFrames(response);
    const line = await until(async () => server.stderr().includes("my-request-42"), 2000, "the access line").then(() =>
      server.stderr().split("\n").find((l) => l.includes("my-request-42"))!,
    );
    assert.match(line, /^\S+Z POST \/v1\/chat\/completions 200 request_id=my-request-42 model=oserve-tiny-chat prompt_tokens=\d+ completion_tokens=\d+ cached_tokens=\d+ ttft_ms=\d+ duration_ms=\d+ end=done$/);
    assert.match((await fetch(`${server.url}/health`)).headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  });
});

describe("--log-format json and --ready-file", () => {
  test("JSON access lines name how a request ended; the ready file is written once ready", async () => {
    const dir = mkdtempSync(join(tmpdir(), "oserve-ready-"));
    const readyFile = join(dir, "ready.json");
    const server = await startServer(["--model", RANDOM, "--log-format", "json", "--ready-file", readyFile]);
    try {
      const ready = JSON.parse(readFileSync(readyFile, "utf8"));
      assert.deepEqual(ready, { url: server.url, port: Number(new URL(server.url).port), model: "oserve-random-qwen2", pid: server.process.pid });
      const abort = new AbortController();
      await untilFirstContent(await fetch(`${server.baseURL}/chat/completions`, { method: "POST", headers: { "x-request-id": "leaving" }, body: JSON.stringify({ messages: [{ role: "user", content: "Hi" }], stream: true }), signal: abort.signal }));
      abort.abort();
      await fetch(`${server.baseURL}/chat/completions`, { method: "POST", headers: { "x-request-id": "bad" }, body: "{nope" });
      await until(async () => server.stderr().includes('"request_id":"bad"'), 2000, "both lines");
      const lines = server.stderr().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
      const leaving = lines.find((l) => l.request_id === "leaving");
      assert.deepEqual([leaving.method, leaving.route, leaving.status, leaving.end], ["POST", "/v1/chat/completions", 200, "client_gone"]);
      assert.ok(leaving.ttft_ms !== null && leaving.ttft_ms <= leaving.duration_ms, "timed to its end, after its first token");
      assert.equal(lines.find((l) => l.request_id === "bad").status, 400);
    } finally {
      await server.stop();
    }
  });
});

describe("oserve run", () => {
  test("runs the command with the server in its environment, exits with its code, and leaves nothing listening", async () => {
    const script = `
      const { default: OpenAI } = await import("openai");
      const client = new OpenAI();
      const answer = await client.chat.completions.create({ model: "x", messages: [{ role: "user", content: "Hello" }], temperature: 0 });
      console.log(JSON.stringify({ text: answer.choices[0].message.content, url: process.env.OSERVE_URL, anthropic: process.env.ANTHROPIC_BASE_URL, key: process.env.ANTHROPIC_API_KEY }));
      process.exit(3);`;
    const { code, stdout, stderr } = await runCli(["run", "--model", TINY_CHAT, "--threads", "1", "--", process.execPath, "--input-type=module", "-e", script]);
    assert.equal(code, 3, stderr);
    const out = JSON.parse(stdout.trim());
    assert.equal(out.text, "Hello! How can I help you today?");
    assert.equal(out.anthropic, out.url);
    assert.equal(out.key, "oserve");
    assert.match(stderr, /^oserve listening on http:\/\/127\.0\.0\.1:\d+/m, "the ready line goes to stderr, stdout is the command's");
    await assert.rejects(fetch(`${out.url}/health`), "the port is free");
  });

  test("what follows -- is the command's: `-- node -v` prints node's version, not oserve's (the previous build answered -v itself)", async () => {
    const { code, stdout, stderr } = await runCli(["run", "--model", TINY_CHAT, "--threads", "1", "--", process.execPath, "-v"]);
    assert.equal(code, 0, stderr);
    assert.equal(stdout.trim(), process.version);
  });

  test("a model that cannot load exits non-zero before the command runs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "oserve-run-"));
    const marker = join(dir, "ran");
    const { code, stderr } = await runCli(["run", "--model", join(dir, "missing.gguf"), "--", "touch", marker]);
    assert.notEqual(code, 0);
    assert.match(stderr, /^oserve: --model .*missing\.gguf: no such file$/m);
    assert.ok(!existsSync(marker));
    const { code: noCommand } = await runCli(["run", "--model", TINY_CHAT]);
    assert.equal(noCommand, 2);
  });
});

describe("--model from a URL", () => {
  test("downloaded once (a cut connection resumed), served, then found again without the network; a 404 is one line", async () => {
    const hub = await serveModel(RANDOM);
    const modelsDir = mkdtempSync(join(tmpdir(), "oserve-models-"));
    try {
      hub.cutNextAfter(3_000_000);
      const server = await startServer(["--model", hub.url, "--download-dir", modelsDir], { timeoutMs: 90_000 });
      try {
        const answer = await (await fetch(`${server.baseURL}/chat/completions`, { method: "POST", body: JSON.stringify({ messages: [{ role: "user", content: "Hi" }], max_tokens: 3 }) })).json();
        assert.equal(answer.usage.completion_tokens, 3);
        assert.equal(answer.model, "oserve-random-qwen2");
      } finally {
        await server.stop();
      }
      assert.ok(hub.requests.some((r) => /bytes=\d+-/.test(r)), `the cut download resumed with a range request: ${hub.requests.join("; ")}`);
      const missing = await runCli(["--model", hub.url.replace("qwen2", "nope"), "--download-dir", modelsDir, "--port", "0"]);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /^oserve: --model http:\S+nope\.gguf: could not download: .*404/m);
    } finally {
      await hub.close();
    }
    // The hub is gone: the copy in the models folder serves.
    const offline = await startServer(["--model", hub.url, "--download-dir", modelsDir]);
    await offline.stop();
  });

  test("SIGTERM during a model's download: the server exits while the hub still holds the body", async () => {
    const hub = await serveModel(RANDOM);
    const modelsDir = mkdtempSync(join(tmpdir(), "oserve-models-"));
    try {
      hub.holdNextAfter(1_000_000);
      // The first model loads at startup; the one from the hub on its first request.
      const server = await startServer(["--model", `chat=${TINY_CHAT}`, "--model", `remote=${hub.url}`, "--download-dir", modelsDir]);
      try {
        const asked = fetch(`${server.baseURL}/chat/completions`, { method: "POST", body: JSON.stringify({ model: "remote", messages: [{ role: "user", content: "Hi" }], max_tokens: 1 }) }).catch(() => null);
        await until(async () => hub.requests.some((request) => request.startsWith("GET")), 60_000, "the download begun");
        server.process.kill("SIGTERM");
        const ended = await Promise.race([once(server.process, "exit").then(() => "exited"), new Promise((done) => setTimeout(done, 15_000, "still running"))]);
        assert.equal(ended, "exited", `oserve still downloading 15 s after SIGTERM:\n${server.stderr()}`);
        await asked;
      } finally {
        hub.release();
        await server.stop();
      }
    } finally {
      await hub.close();
    }
  });

});
