import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ConfigError } from "../../src/config/errors.ts";
import { modelEntries } from "../../src/config/model-sources.ts";
import { resolveConfig, type ConfigIO } from "../../src/config/resolve.ts";
import type { RawFlags } from "../../src/config/flags.ts";
import { defaultModel, type Config } from "../../src/config/types.ts";
import { CHAT_TEMPLATES } from "../../src/engine/chat-templates.ts";
import { defaultThreads } from "../../src/engine/threads.ts";
import { files } from "../helpers/config-io.ts";

/** Resolved over the given files (none by default). */
const resolve = (flags: RawFlags, env: Record<string, string | undefined>, io: ConfigIO = files({})): Config => resolveConfig(flags, env, io);
/** The default model's file. */
const modelPath = (config: Config) => defaultModel(config).path;

describe("resolveConfig", () => {
  test("defaults: loopback, 8080, chunk keepalive every 10 s, alias from the file name", () => {
    const config = resolve({ model: "/m/tiny.Q4.gguf" }, {});
    assert.equal(config.server.host, "127.0.0.1");
    assert.equal(config.server.port, 8080);
    assert.deepEqual(config.server.keepalive, { mode: "chunk", intervalMs: 10_000 });
    assert.equal(config.server.defaultModel, "tiny.Q4");
    assert.equal(config.models[0]!.settings.gpuLayers, "auto");
    assert.equal(config.server.maxBodyBytes, 10 * 1024 * 1024);
    assert.equal(config.models[0]!.settings.threads, null, "the engine picks them for the build it loads");
  });

  test("flags win over OSERVE_* variables, which win over defaults", () => {
    const env = { OSERVE_MODEL: "/env.gguf", OSERVE_PORT: "9000", OSERVE_KEEPALIVE: "comment", OSERVE_KEEPALIVE_INTERVAL: "0.05" };
    const config = resolve({ port: "0" }, env);
    assert.equal(modelPath(config), "/env.gguf");
    assert.equal(config.server.port, 0);
    assert.deepEqual(config.server.keepalive, { mode: "comment", intervalMs: 50 });
  });

  test("default threads: every core with persistent threads; with the prebuilt, the cores less one, never fewer than one", () => {
    assert.deepEqual([1, 2, 3, 8].map((cores) => defaultThreads("persistent-threads", cores)), [1, 2, 3, 8]);
    assert.deepEqual([1, 2, 3, 8].map((cores) => defaultThreads("prebuilt", cores)), [1, 1, 2, 7]);
    assert.deepEqual([1, 2, 3, 8].map((cores) => defaultThreads("local-build", cores)), [1, 1, 2, 7]);
  });

  test("service flags: the key from a file (trimmed), CORS origins, log format, a models folder", () => {
    const config = resolve(
      { model: "m.gguf", "api-key-file": "/k", cors: "http://a.test, http://b.test", "log-format": "json", "download-dir": "/models" },
      {},
      files({ "/k": "secret\n" }),
    );
    assert.equal(config.server.apiKey, "secret");
    assert.deepEqual(config.server.corsOrigins, ["http://a.test", "http://b.test"]);
    assert.equal(config.server.logFormat, "json");
    assert.equal(config.server.downloadDir, "/models");
    assert.equal(resolve({ model: "m.gguf" }, { OSERVE_API_KEY: "k2" }).server.apiKey, "k2");
    assert.equal(resolve({ model: "m.gguf" }, {}).server.apiKey, null);
    assert.equal(resolve({ model: "m.gguf" }, { XDG_CACHE_HOME: "/c" }).server.downloadDir, process.platform === "linux" ? "/c/oserve/models" : resolve({ model: "m.gguf" }, { XDG_CACHE_HOME: "/c" }).server.downloadDir);
  });

  test("a model given by URL is named by its file", () => {
    assert.equal(resolve({ model: "hf:org/repo/tiny-q4.gguf" }, {}).server.defaultModel, "tiny-q4");
    assert.equal(resolve({ model: "https://host/x/model.gguf?download=true" }, {}).server.defaultModel, "model");
  });

  test("the flush interval: 10 ms unless told, 0 allowed", () => {
    assert.equal(resolve({ model: "m.gguf" }, {}).server.flushIntervalMs, 10);
    assert.equal(resolve({ model: "m.gguf" }, { OSERVE_FLUSH_INTERVAL_MS: "0" }).server.flushIntervalMs, 0);
    assert.equal(resolve({ model: "m.gguf", "flush-interval-ms": "2.5" }, {}).server.flushIntervalMs, 2.5);
  });

  test("repacking: on unless told off, by flag or OSERVE_REPACK", () => {
    assert.equal(resolve({ model: "m.gguf" }, {}).models[0]!.settings.repack, true);
    assert.equal(resolve({ model: "m.gguf", repack: "off" }, {}).models[0]!.settings.repack, false);
    assert.equal(resolve({ model: "m.gguf" }, { OSERVE_REPACK: "off" }).models[0]!.settings.repack, false);
  });

  test("reasoning: the thought apart in chat by default (llama-server's names too), effort and budget the model's own unless told", () => {
    const defaults = resolve({ model: "m.gguf" }, {});
    assert.deepEqual([defaults.server.reasoningFormat, defaults.models[0]!.settings.reasoningEffort, defaults.models[0]!.settings.reasoningBudget], ["separate", null, null]);
    assert.equal(resolve({ model: "m.gguf", "reasoning-format": "none" }, {}).server.reasoningFormat, "inline");
    assert.equal(resolve({ model: "m.gguf", "reasoning-format": "deepseek" }, {}).server.reasoningFormat, "separate");
    assert.equal(resolve({ model: "m.gguf" }, { OSERVE_REASONING_FORMAT: "hidden" }).server.reasoningFormat, "hidden");
    assert.equal(resolve({ model: "m.gguf", "reasoning-effort": "low", "reasoning-budget": "256" }, {}).models[0]!.settings.reasoningEffort, "low");
    assert.equal(resolve({ model: "m.gguf", "reasoning-budget": "256" }, {}).models[0]!.settings.reasoningBudget, 256);
    assert.equal(resolve({ model: "m.gguf", "reasoning-budget": "0" }, {}).models[0]!.settings.reasoningBudget, 0);
  });

  test("--temp: the temperature of requests that send none, 0.8 unless set (llama-server's --temp)", () => {
    assert.equal(resolve({ model: "m.gguf" }, {}).models[0]!.settings.temperature, 0.8);
    assert.equal(resolve({ model: "m.gguf", temp: "0" }, {}).models[0]!.settings.temperature, 0);
    assert.equal(resolve({ model: "m.gguf" }, { OSERVE_TEMP: "0.2" }).models[0]!.settings.temperature, 0.2);
  });

  test("sizes take units", () => {
    assert.equal(resolve({ model: "m.gguf", "max-body": "512kb" }, {}).server.maxBodyBytes, 512 * 1024);
    assert.equal(resolve({ model: "m.gguf", "max-body": "1048576" }, {}).server.maxBodyBytes, 1048576);
  });

  for (const [flags, pattern] of [
    [{}, /--model is required/],
    [{ model: "m.gguf", keepalive: "sometimes" }, /--keepalive must be one of chunk, comment, off/],
    [{ model: "m.gguf", port: "70000" }, /--port must be a whole number from 0 to 65535/],
    [{ model: "m.gguf", threads: "0" }, /--threads/],
    [{ model: "m.gguf", "keepalive-interval": "-1" }, /--keepalive-interval/],
    [{ model: "m.gguf", "flush-interval-ms": "5000" }, /--flush-interval-ms must be a number from 0 to 1000/],
    [{ model: "m.gguf", "gpu-layers": "many" }, /--gpu-layers/],
    [{ model: "m.gguf", "max-body": "lots" }, /--max-body/],
    [{ model: "m.gguf", "log-format": "xml" }, /--log-format must be one of text, json/],
    [{ model: "m.gguf", "keepalive-json": "yes" }, /--keepalive-json must be on or off/],
    [{ model: "m.gguf", repack: "false" }, /--repack must be on or off/],
    [{ model: "m.gguf", "reasoning-format": "raw" }, /--reasoning-format must be one of separate, inline, hidden/],
    [{ model: "m.gguf", "reasoning-effort": "max" }, /--reasoning-effort must be one of none, minimal, low, medium, high/],
    [{ model: "m.gguf", "reasoning-budget": "-2" }, /--reasoning-budget/],
    [{ model: "m.gguf", temp: "-1" }, /--temp must be a number from 0 to 100/],
    [{ model: "m.gguf", "api-key": "a", "api-key-file": "/k" }, /not both/],
    [{ model: "m.gguf", "api-key-file": "/nonexistent/oserve-key" }, /--api-key-file \/nonexistent\/oserve-key: no such file/],
  ] as const) {
    test(`rejects ${JSON.stringify(flags)} with one clear line`, () => {
      assert.throws(() => resolve(flags, {}), (error: Error) => error instanceof ConfigError && pattern.test(error.message) && !error.message.includes("\n"));
    });
  }
});

describe("several models (--model given more than once)", () => {
  test("each --model is a model, named by its file or NAME=PATH; the first is the default", () => {
    const config = resolve({ models: ["/m/chat.gguf", "small=/m/tiny.gguf", "hf:org/repo/x.gguf"] }, {});
    assert.deepEqual(config.models.map(({ alias, path }) => ({ alias, path })), [
      { alias: "chat", path: "/m/chat.gguf" },
      { alias: "small", path: "/m/tiny.gguf" },
      { alias: "x", path: "hf:org/repo/x.gguf" },
    ]);
    assert.deepEqual([config.server.defaultModel, modelPath(config)], ["chat", "/m/chat.gguf"]);
  });

  test("--model-alias names the first, unless it has a name of its own; a URL's query is never a name", () => {
    assert.deepEqual(modelEntries(["/m/a.gguf", "/m/b.gguf"], "main").map((m) => m.alias), ["main", "b"]);
    assert.deepEqual(modelEntries(["one=/m/a.gguf"], "main").map((m) => m.alias), ["one"]);
    assert.deepEqual(modelEntries(["https://host/x.gguf?download=true"]), [{ alias: "x", path: "https://host/x.gguf?download=true" }]);
    assert.deepEqual(modelEntries(["llama3:8b=/m/l.gguf"]), [{ alias: "llama3:8b", path: "/m/l.gguf" }], "Ollama-style names");
  });

  test("two models of one name, or a name without a path, is one clear error", () => {
    assert.throws(() => modelEntries(["/a/m.gguf", "/b/m.gguf"]), /two models are named 'm'; name them apart with --model NAME=PATH/);
    assert.throws(() => modelEntries(["m="]), /the path is missing/);
    assert.throws(() => modelEntries([""]), /--model needs a path/);
  });

  test("one --model is the single-model config it always was; OSERVE_MODEL stands in for it", () => {
    assert.deepEqual(resolve({ models: [] }, { OSERVE_MODEL: "/m/q.gguf" }).models.map(({ alias, path }) => ({ alias, path })), [{ alias: "q", path: "/m/q.gguf" }]);
    assert.deepEqual(resolve({ model: "/m/q.gguf" }, {}).server.preload, ["q"], "loaded at startup, as ever");
  });

  test("--default-model and --embedding-model pick models by name; a name no --model has is an error", () => {
    const config = resolve({ models: ["a=/m/a.gguf", "b=/m/b.gguf", "e=/m/e.gguf"], "default-model": "b", "embedding-model": "e" }, {});
    assert.deepEqual([config.server.defaultModel, modelPath(config), config.server.embeddingModel], ["b", "/m/b.gguf", "e"]);
    assert.equal(resolve({ models: ["a=/m/a.gguf"] }, {}).server.embeddingModel, null);
    assert.throws(() => resolve({ models: ["a=/m/a.gguf"], "default-model": "z" }, {}), /--default-model z: no model has that name \(a\)/);
  });
});

describe("serving several models: a folder, a config file, loading and unloading", () => {
  test("--models-dir serves each GGUF by its file name: a split model once, no projector, after the --model flags", () => {
    const io = files({ "/ms": ["b.gguf", "a.Q4_K_M.gguf", "notes.txt", "mmproj-a.gguf", "big-00001-of-00002.gguf", "big-00002-of-00002.gguf", "my model.gguf"] });
    const config = resolve({ "models-dir": "/ms" }, {}, io);
    assert.deepEqual(config.models.map((m) => [m.alias, m.path]), [
      ["a.Q4_K_M", "/ms/a.Q4_K_M.gguf"],
      ["b", "/ms/b.gguf"],
      ["big", "/ms/big-00001-of-00002.gguf"],
      ["my-model", "/ms/my model.gguf"],
    ]);
    assert.equal(config.server.defaultModel, "a.Q4_K_M", "the first by name is the default where no --model is given");
    const both = resolve({ models: ["chat=/ms/b.gguf"], "models-dir": "/ms" }, {}, io);
    assert.deepEqual(both.models.map((m) => m.alias), ["chat", "a.Q4_K_M", "big", "my-model"], "a file a --model serves is not served twice");
    assert.throws(() => resolve({ "models-dir": "/none" }, {}, io), /--models-dir \/none: no such folder/);
    assert.throws(() => resolve({ "models-dir": "/e" }, {}, files({ "/e": ["x.txt"] })), /--models-dir \/e: no GGUF files there/);
  });

  test("--preload: the default model unless told; all, none or names; never more than --max-models", () => {
    const two = { models: ["a=/m/a.gguf", "b=/m/b.gguf"] };
    assert.deepEqual(resolve(two, {}).server.preload, ["a"]);
    assert.deepEqual(resolve({ ...two, preload: "all" }, {}).server.preload, ["a", "b"]);
    assert.deepEqual(resolve({ ...two, preload: "none" }, {}).server.preload, []);
    assert.deepEqual(resolve({ ...two, preload: "b" }, {}).server.preload, ["b"]);
    assert.throws(() => resolve({ ...two, preload: "c" }, {}), /--preload c: no model has that name \(a, b\)/);
    assert.equal(resolve(two, {}).server.maxModels, 2, "no cap but memory");
    assert.throws(() => resolve({ ...two, preload: "all", "max-models": "1" }, {}), /--preload names 2 models, but --max-models lets only 1/);
    const limits = resolve({ ...two, "max-models": "1", "idle-unload": "1.5", "memory-limit": "2g" }, {});
    assert.deepEqual([limits.server.maxModels, limits.server.idleUnloadMs, limits.server.memoryLimit], [1, 1500, 2 * 1024 ** 3]);
    assert.throws(() => resolve({ ...two, "max-models": "0" }, {}), /--max-models must be a whole number from 1/);
  });

  test("a TOML config file: flags by their long names, [models.NAME] tables with their own settings; flags and env win", () => {
    const toml = [
      'port = 9000',
      'keepalive = "comment"',
      'default-model = "chat"',
      'max-models = 2',
      'repack = false',
      '[models.chat]',
      'path = "/m/chat.gguf"',
      'ctx-size = 16384',
      'parallel = 2',
      '[models.embed]',
      'path = "/m/embed.gguf"',
      'preload = true',
    ].join("\n");
    const io = files({ "/o.toml": toml });
    const config = resolve({ config: "/o.toml" }, {}, io);
    assert.deepEqual(config.models.map((m) => [m.alias, m.settings.ctxSize, m.settings.parallel, m.settings.repack]), [
      ["chat", 16384, 2, false],
      ["embed", null, 4, false],
    ]);
    assert.deepEqual([config.server.port, config.server.keepalive.mode, config.server.defaultModel, config.server.maxModels, config.server.preload], [9000, "comment", "chat", 2, ["chat", "embed"]]);
    assert.equal(resolve({ config: "/o.toml", port: "1" }, { OSERVE_KEEPALIVE: "off" }, io).server.keepalive.mode, "off");
    assert.equal(resolve({ config: "/o.toml", port: "1" }, {}, io).server.port, 1);
    assert.equal(resolve({}, { OSERVE_CONFIG: "/o.toml" }, io).server.defaultModel, "chat");
    // An empty environment variable is no value: it does not turn the file's API key off.
    const keyed = files({ "/k.toml": 'model = "/m/q.gguf"\napi-key = "from-file"' });
    assert.equal(resolve({ config: "/k.toml" }, { OSERVE_API_KEY: "" }, keyed).server.apiKey, "from-file");
    assert.equal(resolve({ config: "/k.toml", "api-key": " " }, {}, keyed).server.apiKey, "from-file");
    // One model with flags alone is the whole story; the file can say the same.
    const single = resolve({ config: "/s.toml" }, {}, files({ "/s.toml": 'model = "/m/q.gguf"\nctx-size = 2048' }));
    assert.deepEqual([single.server.defaultModel, single.models[0]!.settings.ctxSize, single.models[0]!.settings.ctxSize], ["q", 2048, 2048]);
  });

  test("a config file's mistakes are one line each, with where", () => {
    const bad = (toml: string) => () => resolve({ config: "/b.toml" }, {}, files({ "/b.toml": toml }));
    assert.throws(() => resolve({ config: "/none.toml" }, {}, files({})), /--config \/none.toml: no such file/);
    assert.throws(bad("port = "), /--config \/b.toml: not valid TOML \(line 1, column \d+\)/);
    assert.throws(bad("portt = 1\nmodel = 'm.gguf'"), /unknown setting 'portt'/);
    assert.throws(bad("[models.a]\nctx-size = 10"), /\[models.a\]: the path is missing/);
    assert.throws(bad("[models.a]\npath = 'a.gguf'\nctx = 10"), /\[models.a\]: unknown or malformed 'ctx'/);
    assert.throws(bad("[models.a]\npath = 'a.gguf'\nparallel = 0"), /\/b.toml: \[models.a\]: parallel must be a whole number from 1 to 256/);
  });

  test("the README's config file example reads as it says", () => {
    const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");
    const toml = [...readme.matchAll(/```toml\n([\s\S]*?)```/g)].map((match) => match[1]!).find((block) => block.includes("[models."));
    assert.ok(toml, "the README has a config file example");
    const config = resolve({ config: "/oserve.toml" }, {}, files({ "/oserve.toml": toml }));
    assert.deepEqual(config.models.map((m) => [m.alias, m.settings.ctxSize, m.settings.parallel]), [["chat", 16384, 2], ["small", 4096, 4], ["embed", null, 4]]);
    assert.deepEqual([config.server.defaultModel, config.server.maxModels, config.server.idleUnloadMs, config.server.preload], ["chat", 2, 900_000, ["chat", "embed"]]);
  });

  test("--chat-template: auto unless told, node-llama-cpp's wrapper names (the list it has), per model in the file", async () => {
    const { specializedChatWrapperTypeNames } = await import("node-llama-cpp");
    assert.deepEqual(CHAT_TEMPLATES.slice(2), [...specializedChatWrapperTypeNames], "the names node-llama-cpp resolves");
    assert.equal(resolve({ model: "m.gguf" }, {}).models[0]!.settings.chatTemplate, "auto");
    assert.equal(resolve({ model: "m.gguf", "chat-template": "chatML" }, {}).models[0]!.settings.chatTemplate, "chatML");
    assert.throws(() => resolve({ model: "m.gguf", "chat-template": "chatml2" }, {}), /--chat-template must be one of auto, jinjaTemplate, general, .*, not 'chatml2'/);
  });
});
