// Usage: npm run build [-- --prebuilt-engine]
// Compiles src/cli.ts with `bun build --compile` into dist/oserve, and installs node-llama-cpp with
// only this platform's prebuilt binaries into dist/libexec/ beside it (see README: "One binary"),
// with the faster engine (scripts/build-engine.ts) as its local build, which the binary loads before
// the prebuilt; --prebuilt-engine leaves it out (the binary then says so when it starts).
// Also bundles dist/oserve.mjs, the same program as one JS file for `node` (used by bench-startup).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
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
  // The llama.cpp sources, only read by a build from source, which the binary never starts.
  rmSync(resolve(nodeLlamaCpp, "llama/gitRelease.bundle"), { force: true });
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
