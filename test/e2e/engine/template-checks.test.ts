// The chat template's checks (patch 12) kept on disk between runs (src/engine/template-checks.ts): a
// second start of the same model picks its chat wrapper without rendering the template again.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { loadLlamaEngine } from "../../../src/engine/llama-load.ts";
import { cacheDir, TemplateChecks } from "../../../src/engine/template-checks.ts";
import { TINY_CHAT } from "../../helpers/test-server.ts";

const dir = mkdtempSync(join(tmpdir(), "oserve-template-checks-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("TemplateChecks", () => {
  test("keeps answers across instances, for the same model file and node-llama-cpp version only", () => {
    const cache = join(dir, "unit");
    const first = new TemplateChecks(cache, TINY_CHAT, "3.22.1");
    first.set("check a", true);
    first.set("check b", false);
    first.save();
    const again = new TemplateChecks(cache, TINY_CHAT, "3.22.1");
    assert.equal(again.get("check a"), true);
    assert.equal(again.get("check b"), false);
    assert.equal(again.get("check c"), undefined);
    assert.equal(new TemplateChecks(cache, TINY_CHAT, "3.23.0").get("check a"), undefined);
    // Another file with the same bytes elsewhere is another model as far as the cache knows.
    const copy = join(dir, "copy.gguf");
    copyFileSync(TINY_CHAT, copy);
    assert.equal(new TemplateChecks(cache, copy, "3.22.1").get("check a"), undefined);
  });

  test("a file it cannot read is an empty cache; one it cannot write is no error", () => {
    const cache = join(dir, "corrupt");
    new TemplateChecks(cache, TINY_CHAT, "v").save();
    writeFileSync(join(dir, "not-a-folder"), "");
    const unwritable = new TemplateChecks(join(dir, "not-a-folder", "below"), TINY_CHAT, "v");
    unwritable.set("k", true);
    assert.doesNotThrow(() => unwritable.save());
    const corrupt = join(dir, "corrupt-file");
    const store = new TemplateChecks(corrupt, TINY_CHAT, "v");
    store.set("k", true);
    store.save();
    writeFileSync(join(corrupt, "template-checks.json"), "{ not json");
    assert.equal(new TemplateChecks(corrupt, TINY_CHAT, "v").get("k"), undefined);
  });

  test("OSERVE_CACHE_DIR names the folder, off keeps nothing, else XDG_CACHE_HOME or ~/.cache", () => {
    assert.equal(cacheDir({ OSERVE_CACHE_DIR: "off" }), null);
    assert.equal(cacheDir({ OSERVE_CACHE_DIR: "/x/y" }), "/x/y");
    assert.equal(cacheDir({ XDG_CACHE_HOME: "/c" }), "/c/oserve");
    assert.match(cacheDir({})!, /\.cache\/oserve$/);
  });
});

describe("a second load of the same model", { timeout: 90_000 }, () => {
  test("answers every template check from the first's, and picks the same chat wrapper", async () => {
    const cache = join(dir, "engine");
    const previous = process.env.OSERVE_CACHE_DIR;
    process.env.OSERVE_CACHE_DIR = cache;
    try {
      const options = { modelPath: TINY_CHAT, modelId: "chat", contextSize: 256, gpuLayers: 0, parallel: 1, maxQueue: 1, repack: true, threads: 1 } as const;
      const first = await loadLlamaEngine(options);
      const ranFirst = await first.templateChecks;
      const wrapperFirst = first.resolveChatWrapper();
      await first.close();
      assert.ok(ranFirst > 0, "the first load rendered no template check");
      assert.ok(Object.keys(JSON.parse(readFileSync(join(cache, "template-checks.json"), "utf8")).answers).length >= ranFirst);
      const second = await loadLlamaEngine(options);
      try {
        assert.equal(await second.templateChecks, 0);
        assert.equal(second.resolveChatWrapper(), wrapperFirst);
      } finally {
        await second.close();
      }
    } finally {
      if (previous === undefined) delete process.env.OSERVE_CACHE_DIR;
      else process.env.OSERVE_CACHE_DIR = previous;
    }
  });
});
