// Usage: npm run bench:startup [-- --runs 5 --model PATH]
// Side by side, in one run: the compiled binary (dist/oserve), `node dist/oserve.mjs` and `npm start`
// (npm itself included): size, time from exec to the ready line, and to the first streamed token of a
// first request; then each startup phase (OSERVE_TRACE_STARTUP: the server's own line), medians;
// min, median and max of the totals; llama-server beside them (--peer); llama.cpp's load of the
// model's vocabulary alone (the floor under every load); `oserve run -- true` (start, run, drain, exit) for the binary;
// the release tarball and installed sizes. Builds dist/ first when it is missing.
import { existsSync, readdirSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { execFileSync, spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { freePort, startServer, TINY_CHAT } from "../test/helpers/test-server.ts";
import { postChat } from "../test/helpers/sse-frames.ts";

const ROOT = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    model: { type: "string", default: TINY_CHAT },
    // llama.cpp's llama-server (../shared/tools/build-peer.sh), timed beside oserve where it is there.
    peer: { type: "string", default: process.env.OSERVE_PEER ?? "/tmp/oserve-peer/llama.cpp/build/bin/llama-server" },
  },
});
const runs = Number(values.runs);

const variants = [
  { name: "binary (dist/oserve)", command: [resolve(ROOT, "dist/oserve")], size: resolve(ROOT, "dist/oserve") },
  { name: "node dist/oserve.mjs", command: [process.execPath, resolve(ROOT, "dist/oserve.mjs")], size: resolve(ROOT, "dist/oserve.mjs") },
  { name: "npm start", command: ["npm", "start", "--silent", "--"], size: null, group: true },
];
process.env.OSERVE_TRACE_STARTUP = "1";

async function once(command: string[], group = false): Promise<{ ready: number; firstToken: number; phases: Map<string, number> }> {
  const started = performance.now();
  const server = await startServer(["--model", values.model!], { command, group });
  const ready = performance.now() - started;
  const line = /^oserve: startup: (.*)$/m.exec(server.stderr())?.[1] ?? "";
  const phases = new Map([...line.matchAll(/([^,]+?) (\d+) ms/g)].map(([, phase, ms]) => [phase!.trim(), Number(ms)]));
  try {
    const response = await postChat(server.baseURL, { messages: [{ role: "user", content: "Hello" }], temperature: 0, max_tokens: 8, stream: true });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!/"content":"[^"]/.test(text)) {
      const { done, value } = await reader.read();
      if (done) throw new Error("stream ended before its first token");
      text += value;
    }
    const firstToken = performance.now() - started;
    await reader.cancel();
    return { ready, firstToken, phases };
  } finally {
    await server.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (!variants.every((v) => v.size === null || existsSync(v.size))) execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });
const results = new Map<string, { ready: number[]; firstToken: number[]; phases: Array<Map<string, number>> }>(variants.map((v) => [v.name, { ready: [], firstToken: [], phases: [] }]));
const peerTimes: number[] = [];
for (let i = 0; i < runs; i++) {
  // Alternate, so that caches and background load treat both alike.
  for (const variant of variants) {
    const { ready, firstToken, phases } = await once(variant.command, "group" in variant);
    results.get(variant.name)!.ready.push(ready);
    results.get(variant.name)!.firstToken.push(firstToken);
    results.get(variant.name)!.phases.push(phases);
  }
  if (existsSync(values.peer!)) peerTimes.push(await peerOnce());
}

/** "min / median / max ms" of a list of times. */
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(0)} / ${median(xs).toFixed(0)} / ${Math.max(...xs).toFixed(0)} ms`;
console.log(`model: ${values.model}; ${runs} runs each (min / median / max)\n`);
console.log(`${"".padEnd(24)}${"size".padStart(12)}${"exec→ready".padStart(24)}${"exec→1st token".padStart(24)}`);
for (const variant of variants) {
  const r = results.get(variant.name)!;
  const size = variant.size ? `${(statSync(variant.size).size / 2 ** 20).toFixed(1)} MiB` : "(source)";
  console.log(`${variant.name.padEnd(24)}${size.padStart(12)}${spread(r.ready).padStart(24)}${spread(r.firstToken).padStart(24)}`);
}
console.log("\nstartup phases (each phase's own time, medians; total from the process's start to just before the ready line):");
for (const variant of variants) {
  const phases = results.get(variant.name)!.phases;
  const names = [...(phases[0]?.keys() ?? [])];
  console.log(`${variant.name.padEnd(24)}${names.map((name) => `${name} ${median(phases.map((p) => p.get(name) ?? 0)).toFixed(0)}`).join(", ")} (ms)`);
}
const [bin, node] = variants.map((v) => results.get(v.name)!);
console.log(`\nbinary/node: ready ${(median(bin!.ready) / median(node!.ready)).toFixed(2)}x, first token ${(median(bin!.firstToken) / median(node!.firstToken)).toFixed(2)}x`);
console.log("(sizes: the file alone; both load node-llama-cpp from outside it: the binary from dist/libexec/, node from node_modules/)");
// The yardstick: llama-server on the same model, 4 slots of the same window, every core; exec to its
// "listening" line, which it prints once the model is loaded.
async function peerOnce(): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(values.peer!, ["-m", values.model!, "--host", "127.0.0.1", "--port", String(port), "-np", "4", "-c", String(4 * 2048), "-t", String(availableParallelism())], { stdio: ["ignore", "ignore", "pipe"] });
  try {
    let log = "";
    for await (const chunk of child.stderr!) {
      log += chunk;
      if (/listening on http/.test(log)) return performance.now() - started;
    }
    throw new Error(`llama-server exited before it was ready:\n${log}`);
  } finally {
    child.kill("SIGKILL");
  }
}
if (peerTimes.length > 0) {
  console.log(`\n${"llama-server (peer)".padEnd(24)}${"exec→ready".padStart(36)} ${spread(peerTimes)}; binary/peer ${(median(bin!.ready) / median(peerTimes)).toFixed(2)}x`);
} else console.log(`\nllama-server: not at ${values.peer} (../shared/tools/build-peer.sh builds it; --peer PATH)`);

// The floor: llama.cpp's own work in a load, which no server on it skips. The model's vocabulary alone
// (node-llama-cpp's vocabOnly: llama.cpp builds its token maps and caches, no weights), in a fresh
// node each time, through the libraries the binary loads (dist/libexec): on the engine build, whose
// addon carries patches/llama.cpp's vocabulary load, and on the prebuilt (libllama's own; custom
// CMake options name a local build that does not exist), alternating.
const vocabBundle = resolve(ROOT, "dist/libexec/node_modules/node-llama-cpp/dist/oserve-bundle.js");
if (existsSync(vocabBundle)) {
  const probe = (prebuilt: boolean) => `const lib = await import(${JSON.stringify(pathToFileURL(vocabBundle).href)});
const llama = await lib.getLlama({ gpu: false, build: "never", logLevel: lib.LlamaLogLevel.error${prebuilt ? ', cmakeOptions: { OSERVE_BENCH: "prebuilt" }' : ""} });
const started = performance.now();
const model = await llama.loadModel({ modelPath: ${JSON.stringify(values.model)}, vocabOnly: true });
console.log(llama.buildType, performance.now() - started);
await model.dispose();`;
  const vocabTimes = new Map<string, number[]>();
  for (let i = 0; i < runs; i++) {
    for (const prebuilt of [false, true]) {
      const [buildType, ms] = execFileSync(process.execPath, ["--input-type=module", "-e", probe(prebuilt)]).toString().trim().split(" ");
      vocabTimes.set(buildType!, [...(vocabTimes.get(buildType!) ?? []), Number(ms)]);
    }
  }
  console.log(`\nthe vocabulary's load (vocabOnly, a fresh node each; the binary's "load model" median ${median(bin!.phases.map((p) => p.get("load model") ?? 0)).toFixed(0)} ms):`);
  for (const [buildType, times] of vocabTimes) console.log(`  ${(buildType === "localBuild" ? "engine build (patched)" : `${buildType} (libllama's own)`).padEnd(58)} ${spread(times)}`);
}

// `oserve run -- true`: a script's whole use of a server, from exec to exit.
const runTimes: number[] = [];
for (let i = 0; i < runs; i++) {
  const started = performance.now();
  execFileSync(resolve(ROOT, "dist/oserve"), ["run", "--model", values.model!, "--", "true"], { stdio: "ignore" });
  runTimes.push(performance.now() - started);
}
console.log(`\n${"dist/oserve run -- true".padEnd(24)}${"exec→exit".padStart(36)} ${spread(runTimes)}`);

// What a user downloads and installs: the release tarball (npm run release) and the keg it unpacks to.
const tarball = readdirSync(resolve(ROOT, "dist")).find((name) => /^oserve-.*\.tar\.(xz|gz)$/.test(name));
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB (${(bytes / 1e6).toFixed(1)} MB)`;
if (tarball) {
  const path = resolve(ROOT, "dist", tarball);
  // Installed: the files the tarball unpacks to (a hard link, listed with size 0, once).
  const listing = execFileSync("tar", ["-tvf", path], { maxBuffer: 64 * 2 ** 20 }).toString().trim().split("\n");
  const installed = listing.reduce((sum, line) => sum + (line.startsWith("-") ? Number(line.split(/\s+/)[2]) : 0), 0);
  console.log(`tarball dist/${tarball}: ${mib(statSync(path).size)}; installed: ${mib(installed)}`);
} else console.log("tarball: none in dist/ (npm run release makes it)");
