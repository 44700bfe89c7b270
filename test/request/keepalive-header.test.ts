import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { keepalivePolicyFor } from "../../src/request/keepalive-header.ts";
import { assertRejects } from "../helpers/assert-rejects.ts";

const server = { mode: "chunk", intervalMs: 10_000 } as const;

describe("x-oserve-keepalive", () => {
  test("no header: the server's policy; a mode alone keeps the server's interval; an interval in seconds", () => {
    assert.deepEqual(keepalivePolicyFor(undefined, server), server);
    assert.deepEqual(keepalivePolicyFor("comment", server), { mode: "comment", intervalMs: 10_000 });
    assert.deepEqual(keepalivePolicyFor("OFF", server), { mode: "off", intervalMs: 10_000 });
    assert.deepEqual(keepalivePolicyFor("chunk; interval=0.25", server), { mode: "chunk", intervalMs: 250 });
    assert.deepEqual(keepalivePolicyFor("comment;interval = 300", server), { mode: "comment", intervalMs: 300_000 });
  });

  test("malformed headers are a 400 naming the header", () => {
    for (const header of ["", "ping", "chunk; interval=0.05", "chunk; interval=301", "chunk; every=2", "chunk; interval=-1", "chunk; interval=abc"]) {
      assertRejects((value) => keepalivePolicyFor(value as string, server), header, "x-oserve-keepalive");
    }
  });
});
