import assert from "node:assert/strict";
import { test } from "node:test";
import { describeStartup, startupMark, traceStartupWanted } from "../../src/telemetry/startup-trace.ts";

test("the startup line gives each phase its own time and the total since the process began", () => {
  startupMark("first");
  startupMark("second");
  const line = describeStartup();
  assert.match(line, /^startup: first \d+ ms, second \d+ ms, total \d+ ms$/);
  const [first, second, total] = [...line.matchAll(/(\d+) ms/g)].map((m) => Number(m[1]));
  assert.ok(first! + second! <= total! + 1, line);
});

test("OSERVE_TRACE_STARTUP turns it on; unset, empty or 0 leaves it off", () => {
  assert.deepEqual(["1", "yes", "", "0", undefined].map((v) => traceStartupWanted({ OSERVE_TRACE_STARTUP: v })), [true, true, false, false, false]);
});
