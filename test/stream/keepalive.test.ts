import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, test } from "node:test";
import { withKeepalive } from "../../src/stream/keepalive.ts";
import type { EngineEvent } from "../../src/engine/events.ts";

async function* slowSource(delaysMs: number[]): AsyncGenerator<EngineEvent> {
  for (const [i, delay] of delaysMs.entries()) {
    await sleep(delay);
    yield { type: "text", text: String(i) };
  }
}

async function collect(source: AsyncIterable<EngineEvent>, intervalMs: number | null): Promise<string[]> {
  const seen: string[] = [];
  for await (const event of withKeepalive(source, intervalMs)) seen.push(event.type === "tick" ? "tick" : event.type === "text" ? event.text : event.type);
  return seen;
}

describe("withKeepalive", () => {
  test("ticks while the source is silent, and not while it is busy", async () => {
    const seen = await collect(slowSource([130, 0, 0, 130]), 50);
    const firstText = seen.indexOf("0");
    assert.ok(firstText >= 2, `at least two ticks before the first event: ${seen}`);
    assert.deepEqual(seen.slice(firstText, firstText + 3), ["0", "1", "2"], "events that come at once are not split by ticks");
    assert.ok(seen.slice(firstText + 3).filter((s) => s === "tick").length >= 2);
    assert.equal(seen.at(-1), "3");
  });

  test("passes events through untouched when ticks are off", async () => {
    assert.deepEqual(await collect(slowSource([60, 60]), null), ["0", "1"]);
  });

  test("a consumer that leaves early closes the source", async () => {
    let closed = false;
    async function* source(): AsyncGenerator<EngineEvent> {
      try {
        for (;;) yield { type: "text", text: "x" };
      } finally {
        closed = true;
      }
    }
    for await (const _ of withKeepalive(source(), 50)) break;
    assert.ok(closed);
  });
});
