// --keepalive-json behind a real nginx whose proxy_read_timeout is 1 s: a slow non-streamed answer
// arrives whole; the same request without the keepalive is cut (the control). Skipped without nginx
// (failed under CI); the keepalive itself is tested without nginx too.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { freePort, holdSlot, metric, RANDOM, startServer, TINY_CHAT, TINY_HARMONY, TINY_THINK, until, type TestServer } from "../helpers/test-server.ts";
import { dataChunks, keepaliveHeaders, postChat, postJson, readFrames } from "../helpers/sse-frames.ts";

const NGINX = ["/usr/sbin/nginx", "nginx"].find((bin) => spawnSync(bin, ["-v"]).status === 0);

/** An nginx config proxying to `upstream` with the given read timeout: also the README's example, checked with `nginx -t`. */
export function nginxConfig(dir: string, port: number, upstream: string, readTimeout: string): string {
  return `daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events {}
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass ${upstream};
      proxy_http_version 1.1;
      proxy_buffering off;
      proxy_read_timeout ${readTimeout};
    }
  }
}
`;
}

// Elsewhere a missing nginx skips the nginx suite; under CI, where .ci/run installs it, it fails instead.
const skip = NGINX || process.env.CI === "true" ? false : "nginx is not installed (.ci/run installs it)";

let server: TestServer;
before(async () => {
  server = await startServer(["--model", RANDOM, "--parallel", "1", "--keepalive-json", "on", "--keepalive-interval", "0.3"]);
});
after(() => server?.stop());

const jsonKeepalives = () => metric(server, "oserve_keepalives_total", { mode: "json" });

/**
 * A non-streamed request that waits for the only slot, held by a stream that is dropped once the
 * waiting request has had `keepalives` JSON keepalives (0.3 s apart), or once its answer came.
 */
async function slowAnswer<T>(ask: () => Promise<T>, keepalives = 5): Promise<T> {
  const held = await holdSlot(server);
  let answer: Promise<T>;
  try {
    const sent = await jsonKeepalives();
    let answered = false;
    answer = ask().finally(() => (answered = true));
    await until(async () => answered || (await jsonKeepalives()) >= sent + keepalives, 30_000, `${keepalives} JSON keepalives`);
  } finally {
    await held.release();
  }
  return answer;
}

describe("--keepalive-json straight to the client", () => {
  test("a waiting non-streamed answer comes after leading spaces, and the openai and Anthropic SDKs read it", async () => {
    const raw = await slowAnswer(() => postChat(server.baseURL, { messages: [{ role: "user", content: "Hi" }], temperature: 0, max_tokens: 4 }), 2);
    assert.equal(raw.status, 200);
    const text = await raw.text();
    assert.match(text, /^ +\{/);
    assert.equal(JSON.parse(text).usage.completion_tokens, 4);
    const openai = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
    const completion = await slowAnswer(() => openai.chat.completions.create({ model: "x", messages: [{ role: "user", content: "Hi" }], temperature: 0, max_tokens: 4 }), 2);
    assert.equal(completion.usage!.completion_tokens, 4);
    const anthropic = new Anthropic({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
    const message = await slowAnswer(() => anthropic.messages.create({ model: "x", max_tokens: 4, messages: [{ role: "user", content: "Hi" }] }), 2);
    assert.equal(message.usage.output_tokens, 4);
  });
});

describe("--keepalive-json behind nginx with a 1 s read timeout", { skip }, () => {
  let nginx: ChildProcess;
  let proxied: string;
  before(async () => {
    assert.ok(NGINX, "nginx is not installed, and CI=true: .ci/run should have installed it");
    const dir = mkdtempSync(join(tmpdir(), "oserve-nginx-"));
    const port = await freePort();
    writeFileSync(join(dir, "nginx.conf"), nginxConfig(dir, port, server.url, "1s"));
    nginx = spawn(NGINX!, ["-p", dir, "-c", join(dir, "nginx.conf")], { stdio: "ignore" });
    proxied = `http://127.0.0.1:${port}`;
    await until(async () => (await fetch(`${proxied}/health`).catch(() => null))?.status === 200, 5000, "nginx proxying");
  });
  after(() => {
    nginx?.kill("SIGTERM");
  });

  const ask = (headers: Record<string, string>) => () =>
    fetch(`${proxied}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ messages: [{ role: "user", content: "Hi" }], temperature: 0, max_tokens: 4 }),
    });

  test("with the keepalive on, the answer arrives whole after leading spaces", async () => {
    const response = await slowAnswer(ask({}));
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, /^ +\{/, "spaces kept nginx reading");
    assert.equal(JSON.parse(text).usage.completion_tokens, 4);
  });

  test("the openai and Anthropic SDKs read such an answer", async () => {
    const openai = new OpenAI({ baseURL: `${proxied}/v1`, apiKey: "unused", maxRetries: 0 });
    const completion = await slowAnswer(() => openai.chat.completions.create({ model: "x", messages: [{ role: "user", content: "Hi" }], temperature: 0, max_tokens: 4 }));
    assert.equal(completion.usage!.completion_tokens, 4);
    const anthropic = new Anthropic({ baseURL: proxied, apiKey: "unused", maxRetries: 0 });
    const message = await slowAnswer(() => anthropic.messages.create({ model: "x", max_tokens: 4, messages: [{ role: "user", content: "Hi" }] }));
    assert.equal(message.usage.output_tokens, 4);
  });

  test("the control: the same request with the keepalive off for it is cut by nginx (504)", async () => {
    const response = await slowAnswer(ask({ "x-oserve-keepalive": "off" }));
    assert.equal(response.status, 504);
  });

  test("nginx -t accepts the README's proxy block", () => {
    const dir = mkdtempSync(join(tmpdir(), "oserve-nginx-t-"));
    const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");
    const block = /```nginx\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(block, "the README has an nginx block");
    const config = nginxConfig(dir, 8081, "http://127.0.0.1:8080", "1s").replace(/    location \/ \{[\s\S]*?\n    \}\n/, block.replace(/^/gm, "    "));
    assert.ok(config.includes("proxy_buffering off") && config.includes("proxy_read_timeout 3600s"), "the README's block replaced the location");
    writeFileSync(join(dir, "nginx.conf"), config);
    const check = spawnSync(NGINX!, ["-t", "-p", dir, "-c", join(dir, "nginx.conf")], { encoding: "utf8" });
    assert.equal(check.status, 0, check.stderr);
  });
});

/** nginx on a free port in front of `upstream`, with this read timeout; resolves once it proxies. */
async function startNginx(upstream: string, readTimeout: string): Promise<{ url: string; stop(): void }> {
  const dir = mkdtempSync(join(tmpdir(), "oserve-nginx-"));
  const port = await freePort();
  writeFileSync(join(dir, "nginx.conf"), nginxConfig(dir, port, upstream, readTimeout));
  const child = spawn(NGINX!, ["-p", dir, "-c", join(dir, "nginx.conf")], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${url}/health`).catch(() => null)) !== null, 5000, "nginx proxying");
  return { url, stop: () => child.kill("SIGTERM") };
}

describe("cold starts behind nginx with a 1 s read timeout: streams wait for their models with keepalives", { skip, timeout: 120_000 }, () => {
  let cold: TestServer;
  let proxy: { url: string; stop(): void };
  before(async () => {
    assert.ok(NGINX, "nginx is not installed, and CI=true: .ci/run should have installed it");
    // Nothing loaded at startup: every model loads on its first request, one after another.
    const models = [`chat=${TINY_CHAT}`, `think=${TINY_THINK}`, `random=${RANDOM}`, `harmony=${TINY_HARMONY}`, `late=${TINY_CHAT}`];
    cold = await startServer([...models.flatMap((model) => ["--model", model]), "--preload", "none", "--keepalive-interval", "0.3", "--ctx-size", "2048", "--parallel", "1"]);
    proxy = await startNginx(cold.url, "1s");
  });
  after(async () => {
    proxy?.stop();
    assert.equal(await cold?.stop(), 0);
  });

  test("four cold streams at once (chunk, comment, Responses, Messages) arrive whole; the same wait without keepalives is cut", async () => {
    const ask = { messages: [{ role: "user", content: "What is the capital of France?" }], temperature: 0, stream: true, max_tokens: 12 };
    const chunk = postChat(`${proxy.url}/v1`, { ...ask, model: "chat" }).then(readFrames);
    const comment = postChat(`${proxy.url}/v1`, { ...ask, model: "think" }, undefined, keepaliveHeaders("comment")).then(readFrames);
    const responses = postJson(`${proxy.url}/v1/responses`, { model: "random", input: "Hi", stream: true, max_output_tokens: 4 }).then(readFrames);
    const messages = postJson(`${proxy.url}/v1/messages`, { model: "harmony", max_tokens: 40, stream: true, messages: ask.messages }).then(readFrames);
    // The control, last in the line of loads: four loads and its own before its first byte.
    // Read from the start: nginx may drop the connection before or after the headers, and either ends it.
    const control = postChat(`${proxy.url}/v1`, { ...ask, model: "late" }, undefined, { "x-oserve-keepalive": "off" }).then(
      (response) => readFrames(response).catch(() => []),
      () => [],
    );
    const chunkFrames = await chunk;
    assert.equal(chunkFrames.at(-1)!.data, "[DONE]");
    assert.equal(dataChunks(chunkFrames).map((c) => c.choices[0]?.delta?.content ?? "").join(""), "The capital of France is Paris.");
    const commentFrames = await comment;
    assert.ok(commentFrames.some((frame) => frame.comment === "keep-alive"));
    assert.equal(commentFrames.at(-1)!.data, "[DONE]");
    const responsesFrames = await responses;
    assert.ok(responsesFrames.filter((frame) => frame.event === "response.in_progress").length >= 2);
    assert.equal(responsesFrames.at(-1)!.event, "response.incomplete");
    const messagesFrames = await messages;
    assert.ok(messagesFrames.filter((frame) => frame.event === "ping").length >= 2);
    assert.equal(messagesFrames.at(-1)!.event, "message_stop");
    // Without keepalives nginx gives up on the silence while the model loads: the headers went out
    // at once, so the stream is cut (the body ends short, or the connection drops), never [DONE].
    const controlFrames = await control;
    assert.notEqual(controlFrames.at(-1)?.data, "[DONE]", "without keepalives nginx cut the stream while the model loaded");
    assert.equal(controlFrames.length, 0);
    // The waits were for loads, one after another, each its own; the cut request's load, which nobody
    // waited for any more by its turn, was never begun.
    assert.equal(await metric(cold, "oserve_model_loads_total", { result: "ok" }), 4);
    assert.equal(await metric(cold, "oserve_model_loaded", { model: "late" }), 0);
  });
});
