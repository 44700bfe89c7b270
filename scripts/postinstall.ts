// npm runs this after every install of the project (`npm ci`, `npm install`): it applies oserve's
// patches to node-llama-cpp, then builds the faster engine (scripts/build-engine.ts) where it can,
// so that `npm start` and `npm test` run the engine that ships. A build it cannot make never fails
// the install: one line says why, and node-llama-cpp's prebuilt runs instead (its startup line says so).
//
// OSERVE_ENGINE_BUILD=off skips the build. The compiled addon is cached in build/engine/, so a second
// `npm ci` only copies it (under a second).
import { execFileSync, spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { patchOrExit } from "./patch-node-llama-cpp.ts";

const ROOT = resolve(import.meta.dirname, "..");

await patchOrExit(resolve(ROOT, "node_modules/node-llama-cpp"));

/** Why the engine cannot be built here, or null. */
function cannotBuild(): string | null {
  if (process.env.OSERVE_ENGINE_BUILD === "off") return "OSERVE_ENGINE_BUILD=off";
  if (process.platform !== "linux") return `the engine build is for Linux; on ${process.platform} node-llama-cpp's prebuilt runs`;
  const compiler = process.env.CXX ?? "c++";
  if (spawnSync(compiler, ["--version"], { stdio: "ignore" }).status !== 0) return `no C++ compiler (${compiler}); install one (Debian: apt install g++)`;
  return null;
}

const skipped = cannotBuild();
if (skipped) {
  const later = process.platform === "linux" ? " (npm run build:engine builds it later)" : "";
  console.log(`engine: not built (${skipped}); npm start runs node-llama-cpp's prebuilt, about half as fast on a CPU${later}`);
} else {
  try {
    execFileSync(process.execPath, ["--import", "tsx", resolve(ROOT, "scripts/build-engine.ts")], { cwd: ROOT, stdio: "inherit" });
  } catch {
    console.log("engine: the build failed (above); npm start runs node-llama-cpp's prebuilt (npm run build:engine retries)");
  }
}
