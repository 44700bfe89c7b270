// The tests of oserve's patches to node-llama-cpp's native addon mean something only on the engine
// build (npm run build:engine; npm ci makes it where a compiler is). Under CI, which builds it, any
// other engine fails them; elsewhere they skip, saying why.
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import type { EngineBuild } from "../../src/engine/engine-build.ts";

/** True when `build` is oserve's; else fails the test under CI=true, or skips it and returns false. */
export function needsEngineBuild(t: TestContext, build: EngineBuild): boolean {
  if (build === "persistent-threads") return true;
  const why = `this tests a patch to the native addon, and node-llama-cpp loaded the ${build} engine (npm run build:engine builds oserve's)`;
  if (process.env.CI === "true") assert.fail(`CI builds the engine, yet ${why}`);
  t.skip(why);
  return false;
}
