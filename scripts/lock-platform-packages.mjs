#!/usr/bin/env node
// Usage: node scripts/lock-platform-packages.mjs
// The npm registry reachable where oserve is built lacks some of node-llama-cpp's per-platform
// optional packages (Windows, macOS, riscv64), so `npm install` leaves them out of
// package-lock.json and `npm ci` then refuses the lockfile as out of sync. This adds an entry
// for each missing one, guarded by os/cpu so that no other platform fetches it. Idempotent;
// run it after any `npm install` that rewrites the lockfile.
import { readFileSync, writeFileSync } from "node:fs";

const PLATFORMS = {
  "linux-riscv64": [["linux"], ["riscv64"]],
  "mac-arm64-metal": [["darwin"], ["arm64"]],
  "mac-x64": [["darwin"], ["x64"]],
  "win-arm64": [["win32"], ["arm64"]],
  "win-x64": [["win32"], ["x64"]],
  "win-x64-cuda": [["win32"], ["x64"]],
  "win-x64-cuda-ext": [["win32"], ["x64"]],
  "win-x64-vulkan": [["win32"], ["x64"]],
};

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const nodeLlamaCpp = lock.packages["node_modules/node-llama-cpp"];
if (!nodeLlamaCpp) {
  console.error("lock-platform-packages: node-llama-cpp is not in package-lock.json");
  process.exit(1);
}
const added = [];
for (const [name, version] of Object.entries(nodeLlamaCpp.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  const platform = PLATFORMS[name.split("/")[1]];
  if (lock.packages[key] || !platform) continue;
  lock.packages[key] = { version, optional: true, os: platform[0], cpu: platform[1] };
  added.push(name);
}
const [root, ...rest] = Object.entries(lock.packages);
lock.packages = Object.fromEntries([root, ...rest.sort(([a], [b]) => (a < b ? -1 : 1))]);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `added ${added.join(", ")}` : "nothing to add");
