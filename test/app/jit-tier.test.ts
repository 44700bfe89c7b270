import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import { capJitTier } from "../../src/jit-tier.ts";

describe("capJitTier", () => {
  test("leaves Bun, and a Node started with its own --max-opt, alone", () => {
    assert.equal(capJitTier({ versions: { ...process.versions, bun: "1.2.0" } } as unknown as NodeJS.Process, []), false);
    assert.equal(capJitTier(process, ["--max-opt=3"]), false);
  });

  test("on Node, no function reaches TurboFan after it", () => {
    // A hot loop that V8 optimizes within milliseconds, in a fresh process, with and without the cap.
    const script = (cap: boolean) => `
      ${cap ? 'const { capJitTier } = await import("./src/jit-tier.ts"); if (!capJitTier()) process.exit(3);' : ""}
      function hot(x) { return (x * 31 + 7) % 1009; }
      let s = 0; for (let i = 0; i < 2e7; i++) s += hot(i);
      console.log(s);`;
    const traced = (cap: boolean) =>
      execFileSync(process.execPath, ["--import", "tsx", "--trace-opt", "--input-type=module", "-e", script(cap)], { encoding: "utf8" });
    assert.match(traced(false), /completed (optimizing|compiling).*hot/);
    assert.doesNotMatch(traced(true), /completed (optimizing|compiling).*hot/);
  });
});
