import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RequestScope } from "../../src/http/request-scope.ts";

const scope = () => new RequestScope(new AbortController().signal, new AbortController().signal);

describe("a request's scope", () => {
  test("a request ends once, with the first outcome other than done", async () => {
    const s = scope();
    s.continues();
    let ended = false;
    void s.ended.then(() => (ended = true));
    s.end("client_gone");
    s.end("error");
    s.end();
    await s.ended;
    assert.ok(ended);
    assert.equal(s.record.outcome, "client_gone");
  });

  test("a handler's return is the end where no body goes on", async () => {
    const s = scope();
    let ended = false;
    await s.ended.then(() => (ended = true));
    assert.ok(ended);
  });

  test("cleanups run once, the last deferred first; one that throws does not stop the others; one deferred after the close runs at once", () => {
    const s = scope();
    const ran: string[] = [];
    s.defer(() => ran.push("lease"));
    s.defer(() => {
      throw new Error("boom");
    });
    s.defer(() => ran.push("timer"));
    const error = console.error;
    console.error = () => {};
    try {
      s.close();
      s.close();
    } finally {
      console.error = error;
    }
    assert.deepEqual(ran, ["timer", "lease"]);
    s.defer(() => ran.push("late"));
    assert.deepEqual(ran, ["timer", "lease", "late"]);
  });

  test("its signal is the client's leaving or the server's stopping", () => {
    const client = new AbortController();
    const shutdown = new AbortController();
    const s = new RequestScope(client.signal, shutdown.signal);
    assert.equal(s.signal.aborted, false);
    shutdown.abort();
    assert.equal(s.signal.aborted, true);
    assert.equal(s.clientSignal.aborted, false);
  });
});
