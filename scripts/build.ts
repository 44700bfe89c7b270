// Usage: npm run build [-- --prebuilt-engine]
// Compiles src/cli.ts with `bun build --compile` into dist/oserve, and installs node-llama-cpp with
// only this platform's prebuilt binaries into dist/libexec/ beside it (see docs/release.md),
// with the faster engine (scripts/build-engine.ts) as its local build, which the binary loads before
// the prebuilt; --prebuilt-engine leaves it out (the binary then says so when it starts).
// Also bundles dist/oserve.mjs, the same program as one JS file for `node` (used by bench-startup).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { BUNDLE_FILE } from "../src/engine/node-llama-cpp.ts";
import { compileArgs, hostPlatformPackages } from "./platform.ts";

const ROOT = resolve(import.meta.dirname, "..");
const DIST = resolve(ROOT, "dist");
const BUN = resolve(ROOT, "node_modules/.bin/bun");
const { values } = parseArgs({ options: { "prebuilt-engine": { type: "boolean", default: false } } });

function run(command: string, args: string[], cwd = ROOT): void {
  console.log(`$ ${[command, ...args].join(" ")}`);
  execFileSync(command, args, { cwd, stdio: "inherit" });
}

function lockedVersion(name: string): string {
  const lock = JSON.parse(readFileSync(resolve(ROOT, "package-lock.json"), "utf8"));
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`${name} is not in package-lock.json; run npm ci first`);
  return version;
}

function mib(path: string): string {
  return `${(statSync(path).size / 2 ** 20).toFixed(1)} MiB`;
}

/** Bytes under `path` (files; a hard-linked one counted each time). */
function bytes(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.size;
  return readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + statSync(resolve(entry.parentPath, entry.name)).size, 0);
}

/**
 * What the binary runs of libexec's node_modules: node-llama-cpp's bundle (dist/oserve-bundle.js, its
 * JavaScript and every dependency's), the files it reads beside it (the llama/ folder's local build,
 * grammars and release files) and the platform binary packages (@node-llama-cpp/*). Everything else
 * goes: the package's 290 unbundled files, its ~150 dependencies, and llama.cpp's sources and build
 * recipes, which only a build from source reads (the binary never starts one). Returns the bytes dropped.
 */
function keepWhatRuns(nodeModules: string): number {
  const drop = (path: string) => {
    const size = bytes(path);
    rmSync(path, { recursive: true, force: true });
    return size;
  };
  let dropped = 0;
  for (const name of readdirSync(nodeModules)) {
    if (name !== "node-llama-cpp" && name !== "@node-llama-cpp") dropped += drop(resolve(nodeModules, name));
  }
  const nodeLlamaCpp = resolve(nodeModules, "node-llama-cpp");
  for (const name of readdirSync(resolve(nodeLlamaCpp, "dist"))) {
    if (name !== BUNDLE_FILE) dropped += drop(resolve(nodeLlamaCpp, "dist", name));
  }
  for (const path of ["templates", "README.md", "llama/addon", "llama/cmake", "llama/toolchains", "llama/xpack", "llama/profiles", "llama/patches", "llama/CMakeLists.txt", "llama/gitRelease.bundle"]) {
    if (existsSync(resolve(nodeLlamaCpp, path))) dropped += drop(resolve(nodeLlamaCpp, path));
  }
  return dropped;
}

/**
 * The llama.cpp libraries and addons without their symbol tables (`strip --strip-unneeded`: what
 * the loader links by stays), as a distribution packs them. Returns what it did, as a line.
 */
function stripBinaries(nodeModules: string): string {
  if (spawnSync("strip", ["--version"], { stdio: "ignore" }).status !== 0) return "binaries left with their symbols (no strip here: apt install binutils)";
  const files = readdirSync(nodeModules, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(so|node)$|\.so\./.test(entry.name))
    .map((entry) => resolve(entry.parentPath, entry.name));
  const before = files.reduce((sum, file) => sum + statSync(file).size, 0);
  execFileSync("strip", ["--strip-unneeded", ...files]);
  const after = files.reduce((sum, file) => sum + statSync(file).size, 0);
  return `${files.length} llama.cpp libraries and addons stripped of their symbol tables (${((before - after) / 2 ** 20).toFixed(1)} MiB)`;
}

try {
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(DIST, { recursive: true });
  run(BUN, compileArgs("dist/oserve"));
  run(BUN, ["build", "src/cli.ts", "--target", "node", "--external", "node-llama-cpp", "--outfile", "dist/oserve.mjs"]);

  // node-llama-cpp and its dependencies as npm lays them out, with this platform's binaries only.
  const version = lockedVersion("node-llama-cpp");
  const libexec = resolve(DIST, "libexec");
  mkdirSync(libexec, { recursive: true });
  // node-llama-cpp's install script approved here as in the project's package.json (an npm that blocks unapproved ones).
  writeFileSync(resolve(libexec, "package.json"), `${JSON.stringify({ private: true, name: "oserve-libexec", allowScripts: { "node-llama-cpp": true } }, null, 2)}\n`);
  const packages = [`node-llama-cpp@${version}`, ...hostPlatformPackages().map((name) => `${name}@${version}`)];
  run("npm", ["install", "--omit=optional", "--no-audit", "--no-fund", "--prefer-offline", "--no-package-lock", ...packages], libexec);
  const nodeLlamaCpp = resolve(libexec, "node_modules/node-llama-cpp");
  if (values["prebuilt-engine"]) console.log("engine: node-llama-cpp's prebuilt only (--prebuilt-engine)");
  else run("npx", ["tsx", "scripts/build-engine.ts", "--package", nodeLlamaCpp]);
  // Patched (again: a no-op after the engine build) and bundled into one file, which the binary imports.
  run("npx", ["tsx", "scripts/patch-node-llama-cpp.ts", "--package", nodeLlamaCpp]);
  console.log(`libexec: left out what the bundle replaces and what only a build from source reads (${(keepWhatRuns(resolve(libexec, "node_modules")) / 2 ** 20).toFixed(1)} MiB)`);
  console.log(`libexec: ${stripBinaries(resolve(libexec, "node_modules"))}`);
  // Source maps and type declarations: nothing runs them.
  let dropped = 0;
  for (const file of readdirSync(resolve(libexec, "node_modules"), { recursive: true, withFileTypes: true })) {
    if (!file.isFile() || !/\.(js|mjs|cjs)\.map$|\.d\.[mc]?ts$/.test(file.name)) continue;
    const path = resolve(file.parentPath, file.name);
    dropped += statSync(path).size;
    rmSync(path);
  }
  console.log(`libexec: source maps and type declarations left out (${(dropped / 2 ** 20).toFixed(1)} MiB)`);

  console.log(`dist/oserve ${mib(resolve(DIST, "oserve"))}; dist/oserve.mjs ${mib(resolve(DIST, "oserve.mjs"))}`);
  console.log(`libexec: ${execFileSync("du", ["-sh", libexec]).toString().split("\t")[0]}`);
} catch (error) {
  console.error(`build: ${(error as Error).message}`);
  process.exit(1);
}
