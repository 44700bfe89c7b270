// Three of oserve's patches to node-llama-cpp's JavaScript that cut a start's time (issue: start in half
// a second): 14 keeps a CPU-only load from simulating the model and its context in llama.cpp (some
// 0.3 s each, on every load), 15 lets the CPU binaries oserve builds or pins load on another Linux than
// the one they were built on without first testing them in a child process (some 0.3 s), 16 starts a
// CPU-only load in llama.cpp while the JS still reads the GGUF. All are JavaScript; patch 15's last
// test also checks the bundle oserve imports (scripts/bundle-node-llama-cpp.ts).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, test } from "node:test";
import { getLlama, GgufInsights, LlamaLogLevel } from "node-llama-cpp";
import { TINY_CHAT } from "../../helpers/test-server.ts";

const ROOT = resolve(import.meta.dirname, "../../..");

describe("patch 14: no resource simulation without a GPU", { timeout: 60_000 }, () => {
  test("a model and its context load on the CPU without node-llama-cpp simulating either in llama.cpp", async () => {
    const lines: string[] = [];
    const llama = await getLlama({ gpu: false, build: "never", maxThreads: 2, logLevel: LlamaLogLevel.debug, logger: (_level, line) => lines.push(line) });
    const model = await llama.loadModel({ modelPath: TINY_CHAT });
    try {
      const context = await model.createContext({ contextSize: 512, sequences: 1 });
      await context.dispose();
      assert.ok(lines.some((line) => /load_tensors|llama_model_loader/.test(line)), "the log listener heard nothing of the load");
      assert.deepEqual(lines.filter((line) => /simulat/i.test(line)), []);
      // The estimate that takes the simulation's place: the weights' size, from the GGUF's tensor table.
      const { cpuRam } = await model.fileInsights.estimateModelResourceRequirementsV2({ gpuLayers: 0 });
      assert.ok(cpuRam > 30 * 2 ** 20 && cpuRam < 60 * 2 ** 20, `estimate ${cpuRam} for a 41 MiB model`);
    } finally {
      await model.dispose();
      await llama.dispose();
    }
  });
});

describe("patch 15: the CPU binaries oserve builds or pins are not tested in a child process", { timeout: 90_000 }, () => {
  /**
   * Starts node on a probe that imports (`entry`: the bundle oserve imports, or the package's own
   * index.js) a copy of the installed node-llama-cpp whose binaries claim another Linux, without the
   * engine build where `engineBuild` is false; reports which build loaded, whether a child process was
   * forked, and what node-llama-cpp printed.
   */
  async function loadOnAnotherLinux(entry: "dist/oserve-bundle.js" | "dist/index.js", engineBuild: boolean): Promise<{ buildType: string; forked: boolean; stderr: string }> {
    // Under build/ so that node finds node-llama-cpp's dependencies (and its prebuilt) in the project's node_modules.
    const work = resolve(ROOT, `build/test-another-linux-${process.pid}`);
    const copy = join(work, "node_modules/node-llama-cpp");
    mkdirSync(join(work, "node_modules"), { recursive: true });
    try {
      cpSync(resolve(ROOT, "node_modules/node-llama-cpp"), copy, { recursive: true });
      const localBuild = join(copy, "llama/localBuilds", `linux-${process.arch}`);
      if (engineBuild) {
        const metadataFile = join(localBuild, "Release/_nlcBuildMetadata.json");
        const metadata = JSON.parse(readFileSync(metadataFile, "utf8"));
        metadata.buildOptions.platformInfo = { name: "Another Linux", version: "0" };
        writeFileSync(metadataFile, JSON.stringify(metadata));
      } else {
        // The prebuilt's metadata names the Ubuntu it was built on, another Linux than this one wherever the test runs it.
        rmSync(localBuild, { recursive: true, force: true });
      }
      const probe = join(work, "probe.mjs");
      writeFileSync(
        probe,
        [
          'import childProcess from "node:child_process";',
          'import { syncBuiltinESMExports } from "node:module";',
          "let forked = false;",
          "const fork = childProcess.fork;",
          "childProcess.fork = (...args) => { forked = true; return fork(...args); };",
          "syncBuiltinESMExports();",
          `const { getLlama } = await import(${JSON.stringify(join(copy, entry))});`,
          'const llama = await getLlama({ gpu: false, build: "never", maxThreads: 1 });',
          "console.log(JSON.stringify({ buildType: llama.buildType, forked }));",
          "process.exit(0);",
        ].join("\n"),
      );
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [probe], { timeout: 30_000 });
      return { ...JSON.parse(stdout.trim().split("\n").at(-1)!), stderr };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  test("the engine build, built on another Linux, loads without a forked binary test", async (t) => {
    const metadataFile = resolve(ROOT, "node_modules/node-llama-cpp/llama/localBuilds", `linux-${process.arch}`, "Release/_nlcBuildMetadata.json");
    let marked = false;
    try {
      marked = JSON.parse(readFileSync(metadataFile, "utf8")).buildOptions.customCmakeOptions?.OSERVE_PERSISTENT_THREADS === "ON";
    } catch {}
    if (!marked) {
      if (process.env.CI === "true") assert.fail("CI builds the engine, yet node_modules has no engine build");
      return t.skip("no engine build in node_modules (npm run build:engine)");
    }
    const { buildType, forked } = await loadOnAnotherLinux("dist/index.js", true);
    assert.deepEqual({ buildType, forked }, { buildType: "localBuild", forked: false });
  });

  test("the CPU prebuilt (the fallback) loads without a forked binary test", async () => {
    const { buildType, forked } = await loadOnAnotherLinux("dist/index.js", false);
    assert.deepEqual({ buildType, forked }, { buildType: "prebuilt", forked: false });
  });

  test("from the bundle oserve imports, the prebuilt is found and loads without a word about a binary test", async () => {
    const { buildType, stderr } = await loadOnAnotherLinux("dist/oserve-bundle.js", false);
    assert.equal(buildType, "prebuilt");
    assert.equal(stderr, "");
  });
});

describe("patch 16: a CPU-only load starts in llama.cpp while the JS reads the GGUF", { timeout: 60_000 }, () => {
  test("llama.cpp is loading the model while node-llama-cpp works out the GGUF's insights, and the model has them once loaded", async () => {
    const lines: string[] = [];
    const llama = await getLlama({ gpu: false, build: "never", maxThreads: 2, logLevel: LlamaLogLevel.debug, logger: (_level, line) => lines.push(line) });
    const loading = () => lines.some((line) => /llama_model_loader/.test(line));
    const from = GgufInsights.from;
    let loadingWhileReading: boolean | undefined;
    // Insights are worked out after the GGUF's metadata is read: by then llama.cpp has said it is
    // loading (its lines come through the event loop: polled), or, loading after them, never does.
    GgufInsights.from = async (...args: Parameters<typeof from>) => {
      for (const deadline = Date.now() + 5000; !loading() && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 10));
      loadingWhileReading ??= loading();
      return from.apply(GgufInsights, args);
    };
    try {
      const model = await llama.loadModel({ modelPath: TINY_CHAT });
      try {
        assert.equal(loadingWhileReading, true, "node-llama-cpp read the GGUF before llama.cpp began the load");
        assert.equal(model.fileInfo.metadata.general.architecture, "qwen2");
        assert.equal(model.trainContextSize, model.fileInsights.trainContextSize);
        assert.ok(model.trainContextSize > 0);
        const context = await model.createContext({ contextSize: 512, sequences: 1 });
        await context.dispose();
      } finally {
        await model.dispose();
      }
    } finally {
      GgufInsights.from = from;
      await llama.dispose();
    }
  });

  /** How many holds on the Llama's disposal are left: each model keeps one until it is disposed. */
  const holds = (llama: object) => (llama as { _backendDisposeGuard: { _preventionHandles: number } })._backendDisposeGuard._preventionHandles;

  test("a file that is not a GGUF fails with the GGUF reader's words once llama.cpp's load beside it has ended, and leaves nothing behind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "oserve-not-gguf-"));
    const llama = await getLlama({ gpu: false, build: "never", maxThreads: 2, logLevel: LlamaLogLevel.error });
    try {
      const file = join(dir, "model.gguf");
      writeFileSync(file, "not a model\n".repeat(1000));
      await assert.rejects(llama.loadModel({ modelPath: file }), /Invalid GGUF magic/);
      assert.equal(holds(llama), 0, "the failed model still holds the Llama (its disposal would wait for it)");
    } finally {
      await llama.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a load aborted while llama.cpp reads the model rejects with the abort's reason and leaves nothing behind", async () => {
    const lines: string[] = [];
    const llama = await getLlama({ gpu: false, build: "never", maxThreads: 2, logLevel: LlamaLogLevel.debug, logger: (_level, line) => lines.push(line) });
    try {
      const controller = new AbortController();
      const loading = llama.loadModel({ modelPath: TINY_CHAT, loadSignal: controller.signal });
      // Aborted once llama.cpp says it is loading (polled), or at the latest when the load is done.
      let settled = false;
      void loading.then(() => (settled = true), () => (settled = true));
      while (!settled && !lines.some((line) => /llama_model_loader/.test(line))) await new Promise((resolve) => setTimeout(resolve, 5));
      controller.abort(new Error("the client left"));
      await assert.rejects(loading, /the client left/);
      assert.equal(holds(llama), 0, "the aborted model still holds the Llama");
    } finally {
      await llama.dispose();
    }
  });
});
