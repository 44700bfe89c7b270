// The same server as users get it: the installed release binary, and the source under Bun and Deno.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer, TINY_CHAT } from "../helpers/test-server.ts";
import { dataChunks, postChat, readFrames } from "../helpers/sse-frames.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = resolve(ROOT, "node_modules/.bin");

/**
 * The CPU features (as /proc/cpuinfo names them) each x64 variant of llama.cpp's CPU kernels needs,
 * from ggml's own list (ggml/src/CMakeLists.txt) and its scoring (ggml-cpu/arch/x86/cpu-feats.cpp:
 * AVX512 is F, CD, VL, DQ and BW; AMX is checked by its INT8 flag).
 */
const AVX512 = ["avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw"];
const HASWELL = ["sse4_2", "avx", "f16c", "fma", "avx2", "bmi2"];
const VARIANT_FEATURES: Record<string, string[]> = {
  x64: [],
  sse42: ["sse4_2"],
  sandybridge: ["sse4_2", "avx"],
  ivybridge: ["sse4_2", "avx", "f16c"],
  piledriver: ["sse4_2", "avx", "f16c", "fma"],
  haswell: HASWELL,
  skylakex: [...HASWELL, ...AVX512],
  cannonlake: [...HASWELL, ...AVX512, "avx512vbmi"],
  cascadelake: [...HASWELL, ...AVX512, "avx512_vnni"],
  icelake: [...HASWELL, ...AVX512, "avx512vbmi", "avx512_vnni"],
  cooperlake: [...HASWELL, ...AVX512, "avx512_vnni", "avx512_bf16"],
  zen4: [...HASWELL, ...AVX512, "avx512vbmi", "avx512_vnni", "avx512_bf16"],
  alderlake: [...HASWELL, "avx_vnni"],
  sapphirerapids: [...HASWELL, ...AVX512, "avx512vbmi", "avx512_vnni", "avx512_bf16", "amx_int8"],
};

/** The folders of a keg that hold llama.cpp's CPU kernels: the prebuilt's, and the engine build's beside its addon. */
function kernelFolders(keg: string): string[] {
  const modules = join(keg, "libexec/node_modules");
  const platform = `linux-${process.arch}`;
  return [join(modules, "@node-llama-cpp", platform, "bins", platform), join(modules, "node-llama-cpp/llama/localBuilds", platform, "Release")].filter((dir) => existsSync(dir));
}

/** Starts `command`, streams one chat completion, checks its shape, stops it with SIGTERM; returns its stderr. */
async function smoke(command: string[], cwd = ROOT, flags: string[] = []): Promise<string> {
  const server = await startServer(["--model", TINY_CHAT, "--keepalive", "chunk", ...flags], { command, cwd });
  try {
    const frames = await readFrames(await postChat(server.baseURL, { messages: [{ role: "user", content: "Hello" }], temperature: 0, stream: true }));
    const chunks = dataChunks(frames);
    assert.deepEqual(chunks[0].choices[0].delta, { role: "assistant", content: "" }, "the keepalive chunk opens the stream");
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1, "the keepalive chunk shares the stream's id");
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? "").join(""), "Hello! How can I help you today?");
    assert.equal(frames.at(-1)!.data, "[DONE]");
    // Several streams decoded (and sampled) in one batch answer as one alone does.
    const answers = await Promise.all(
      [0, 1, 2].map(async () => (await (await postChat(server.baseURL, { messages: [{ role: "user", content: "Hello" }], temperature: 0 })).json()).choices[0].message.content),
    );
    assert.deepEqual(answers, Array(3).fill("Hello! How can I help you today?"));
    // How long the event loop was held, on every runtime (Bun and Deno by a timer's lateness).
    const held = Number(/^oserve_event_loop_delay_max_seconds (\S+)$/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1]);
    assert.ok(Number.isFinite(held) && held > 0, `the loop-delay gauge: ${held}`);
  } finally {
    assert.equal(await server.stop(), 0, `SIGTERM exits with 0; stderr: ${server.stderr()}`);
  }
  return server.stderr();
}

describe("release tarball, installed into a fresh prefix", () => {
  let prefix: string;
  before(() => {
    // No node_modules above the prefix: the binary must find everything in its own keg.
    prefix = mkdtempSync(join(tmpdir(), "oserve-prefix-"));
    execFileSync("npm", ["run", "release"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"], timeout: 300_000 });
    const tarball = readdirSync(resolve(ROOT, "dist")).find((name) => name.endsWith(".tar.xz"))!;
    execFileSync("bash", ["scripts/install.sh", "--prefix", prefix, resolve(ROOT, "dist", tarball)], { cwd: ROOT, stdio: "ignore" });
  });
  after(() => rmSync(prefix, { recursive: true, force: true }));

  test("PREFIX/bin/oserve --version prints the package version", () => {
    const version = execFileSync(join(prefix, "bin/oserve"), ["--version"], { cwd: tmpdir() }).toString().trim();
    assert.equal(version, JSON.parse(execFileSync("npm", ["pkg", "get", "version"], { cwd: ROOT }).toString()));
  });

  test("PREFIX/bin/oserve serves a streamed chat completion on the engine built with it (persistent threads), and stops on SIGTERM", async () => {
    const stderr = await smoke([join(prefix, "bin/oserve")], prefix);
    assert.match(stderr, /^oserve: engine: oserve build of node-llama-cpp \(persistent decode threads\), \d+ threads?$/m);
  });

  test("each CPU variant of llama.cpp's kernels that the release ships and this CPU can run serves alone", async (t) => {
    const [version] = readdirSync(join(prefix, "lib/oserve"));
    const keg = join(prefix, "lib/oserve", version!);
    const folders = kernelFolders(keg);
    const shipped = readdirSync(folders[0]!).flatMap((name) => /^libggml-cpu-(.+)\.so$/.exec(name)?.[1] ?? []).sort();
    assert.deepEqual(shipped.filter((variant) => !(variant in VARIANT_FEATURES)), [], "a variant the test does not know the CPU features of");
    const flags = new Set(/^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim().split(/\s+/) ?? []);
    const runnable = shipped.filter((variant) => VARIANT_FEATURES[variant]!.every((flag) => flags.has(flag)));
    if (flags.has("avx2")) {
      // Here npm installed Bun's AVX2 runtime, so the keg leaves out the variants below AVX2 (never the best where it runs).
      assert.deepEqual(shipped.filter((variant) => !VARIANT_FEATURES[variant]!.includes("avx2")), [], "a variant below AVX2 in the keg");
      assert.ok(shipped.includes("haswell"), `no haswell kernels, which every CPU that runs the binary can load: ${shipped.join(", ")}`);
    }
    const served: string[] = [];
    for (const variant of runnable) {
      // A copy of the keg (hard links) that keeps this variant's kernels alone: llama.cpp loads it, or none.
      const copy = join(prefix, `variant-${variant}`);
      execFileSync("cp", ["-al", keg, copy]);
      try {
        for (const folder of kernelFolders(copy)) {
          for (const name of readdirSync(folder)) if (name.startsWith("libggml-cpu-") && name !== `libggml-cpu-${variant}.so`) rmSync(join(folder, name));
        }
        const server = await startServer(["--model", TINY_CHAT], { command: [join(copy, "bin/oserve")], cwd: tmpdir() });
        try {
          const answer = await (await postChat(server.baseURL, { messages: [{ role: "user", content: "Hello" }], temperature: 0, max_tokens: 8 })).json();
          assert.match(answer.choices[0].message.content, /^Hello!/, `${variant}: ${JSON.stringify(answer)}`);
          served.push(variant);
        } finally {
          await server.stop();
        }
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    }
    assert.deepEqual(served, runnable);
    const elsewhere = shipped.filter((variant) => !runnable.includes(variant));
    if (elsewhere.length > 0) t.diagnostic(`not runnable on this CPU (its flags lack what they need): ${elsewhere.join(", ")}`);
  });

  test("without that build, PREFIX/bin/oserve falls back to node-llama-cpp's prebuilt and says so in one line", async () => {
    const [version] = readdirSync(join(prefix, "lib/oserve"));
    const localBuilds = join(prefix, "lib/oserve", version!, "libexec/node_modules/node-llama-cpp/llama/localBuilds");
    assert.ok(existsSync(localBuilds), `${localBuilds} is where the release keeps the engine build`);
    rmSync(localBuilds, { recursive: true });
    const stderr = await smoke([join(prefix, "bin/oserve")], prefix);
    assert.match(stderr, /^oserve: engine: node-llama-cpp prebuilt \(decode threads restart every token; npm run build:engine builds the faster one\), \d+ threads?$/m);
  });
});

describe("from source on other runtimes", () => {
  test("bun src/cli.ts (Bun.serve)", async () => {
    await smoke([join(BIN, "bun"), "src/cli.ts"]);
  });

  test("deno run src/cli.ts (Node compatibility, @hono/node-server)", async () => {
    // The permissions the README lists: no -A.
    const permissions = ["--allow-read", "--allow-env", "--allow-net", "--allow-ffi", "--allow-sys", "--allow-run"];
    await smoke([join(BIN, "deno"), "run", ...permissions, "--node-modules-dir=manual", "src/cli.ts"]);
  });
});
