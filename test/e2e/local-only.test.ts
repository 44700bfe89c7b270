// Local by default means local: a keyless server refuses a request that names another host (what a
// page reached through DNS rebinding sends) and a browser's request from another site (a text/plain
// POST needs no preflight), with a 403 in the route's own error shape that names the flag; this
// machine's names, addresses and pages pass; --allowed-hosts, --cors and an API key open it.
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import { RANDOM, startServers, type TestServer } from "../helpers/test-server.ts";

interface Answer {
  status: number;
  body: { error?: { code?: string; type?: string; message: string }; type?: string; data?: unknown };
}

/** One request with the headers a browser or a rebinding page would send (fetch cannot set Host). */
function send(server: TestServer, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const { port } = new URL(server.url);
  return new Promise((done, fail) => {
    const req = request({ host: "127.0.0.1", port, path, method: body === undefined ? "GET" : "POST", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk)).on("end", () => done({ status: res.statusCode!, body: JSON.parse(text) as Answer["body"] }));
    });
    req.on("error", fail).end(body);
  });
}

const CHAT = JSON.stringify({ messages: [{ role: "user", content: "Hi" }], max_tokens: 1, temperature: 0 });

describe("a keyless server answers this machine only", { timeout: 60_000 }, () => {
  let open: TestServer;
  let allowing: TestServer;
  let keyed: TestServer;
  before(async () => {
    [open, allowing, keyed] = (await startServers(
      ["--model", RANDOM],
      ["--model", RANDOM, "--allowed-hosts", "llm.example.com", "--cors", "https://app.example"],
      ["--model", RANDOM, "--api-key", "k"],
    )) as [TestServer, TestServer, TestServer];
  });
  after(async () => {
    for (const server of [open, allowing, keyed]) await server?.stop();
  });

  test("another host name is refused, in each API's own error shape, naming --allowed-hosts", async () => {
    const chat = await send(open, "/v1/chat/completions", { host: "evil.example:8080", "content-type": "application/json" }, CHAT);
    assert.equal(chat.status, 403);
    assert.equal(chat.body.error?.code, "host_not_allowed");
    assert.match(chat.body.error!.message, /--allowed-hosts/);
    const messages = await send(open, "/v1/messages", { host: "evil.example", "content-type": "application/json" }, JSON.stringify({ model: "x", max_tokens: 1, messages: [{ role: "user", content: "Hi" }] }));
    assert.equal(messages.status, 403);
    assert.deepEqual([messages.body.type, messages.body.error?.type], ["error", "permission_error"]);
    assert.equal((await send(open, "/v1/models", { host: "evil.example" })).status, 403);
  });

  test("a page from another site is refused, its text/plain POST included, naming --cors", async () => {
    const page = await send(open, "/v1/chat/completions", { host: "127.0.0.1", origin: "https://evil.example", "content-type": "text/plain" }, CHAT);
    assert.equal(page.status, 403);
    assert.equal(page.body.error?.code, "origin_not_allowed");
    assert.match(page.body.error!.message, /--cors/);
    assert.equal((await send(open, "/v1/models", { host: "127.0.0.1", origin: "null" })).status, 403);
  });

  test("this machine's names and addresses, its own pages, and clients without an Origin are served", async () => {
    for (const host of ["127.0.0.1", "localhost:1234", "[::1]:1234"]) assert.equal((await send(open, "/v1/models", { host })).status, 200, host);
    assert.equal((await send(open, "/v1/chat/completions", { host: "localhost", origin: "http://localhost:5173", "content-type": "application/json" }, CHAT)).status, 200);
  });

  test("--allowed-hosts and --cors open exactly what they name", async () => {
    assert.equal((await send(allowing, "/v1/models", { host: "llm.example.com" })).status, 200);
    assert.equal((await send(allowing, "/v1/models", { host: "other.example.com" })).status, 403);
    assert.equal((await send(allowing, "/v1/models", { host: "127.0.0.1", origin: "https://app.example" })).status, 200);
    assert.equal((await send(allowing, "/v1/models", { host: "127.0.0.1", origin: "https://evil.example" })).status, 403);
  });

  test("with an API key the key decides, whatever the Host", async () => {
    assert.equal((await send(keyed, "/v1/models", { host: "evil.example", authorization: "Bearer k" })).status, 200);
    assert.equal((await send(keyed, "/v1/models", { host: "evil.example" })).status, 401);
  });
});
