import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { accessLine } from "../../src/telemetry/access-log.ts";
import { RequestRecord } from "../../src/telemetry/request-record.ts";

describe("accessLine", () => {
  const record = new RequestRecord();
  record.addUsage({ promptTokens: 10, completionTokens: 5, cachedTokens: 8 });
  record.ttftMs = 12.4;
  record.model = "chat";
  const entry = { time: "2026-11-28T10:00:00.000Z", method: "POST", route: "/v1/messages", status: 200, requestId: "r1", record, durationMs: 99.6 };

  test("text: the request's fields as key=value after method, route and status", () => {
    assert.equal(
      accessLine(entry, "text"),
      "2026-11-28T10:00:00.000Z POST /v1/messages 200 request_id=r1 model=chat prompt_tokens=10 completion_tokens=5 cached_tokens=8 ttft_ms=12 duration_ms=100 end=done",
    );
  });

  test("text: a client's path and request id cannot forge a line or a field (newlines, spaces, % encoded)", () => {
    const forged = accessLine({ ...entry, route: "/v1/x\n2026-11-28T10:00:01.000Z GET /admin 200", requestId: "a b" }, "text");
    assert.equal(forged.split("\n").length, 1);
    assert.match(forged, /^2026-11-28T10:00:00.000Z POST \/v1\/x%0A2026-11-28T10:00:01.000Z%20GET%20\/admin%20200 200 request_id=a%20b /);
  });

  test("json: one object a line, nulls where a request generated nothing", () => {
    const plain = { ...entry, record: new RequestRecord(), status: 404 };
    assert.deepEqual(JSON.parse(accessLine(plain, "json")), {
      time: entry.time, method: "POST", route: "/v1/messages", status: 404, request_id: "r1", model: null,
      prompt_tokens: null, completion_tokens: null, cached_tokens: null, draft_tokens: null, draft_accepted: null, ttft_ms: null, duration_ms: 100, end: "done",
    });
  });
});
