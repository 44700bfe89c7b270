// Every patch oserve keeps (patches/node-llama-cpp/*.patch, applied by scripts/patch-node-llama-cpp.ts;
// patches/llama.cpp/*.patch, compiled in by scripts/build-engine.ts) says, before its diff, why it is
// there, what it was measured to do, which test fails without it and where upstream stands, so that an
// upgrade of node-llama-cpp or llama.cpp can tell which patches still matter. The header is text before
// the first file's `diff`/`---` line, which the `diff` package's parsePatch passes over: the patch must
// still parse to the files it changes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parsePatch } from "diff";

const PATCHES = resolve(import.meta.dirname, "../../patches");
const FIELDS = ["Why:", "Measured:", "Test that fails without it:", "Upstream:"];

const patches = readdirSync(PATCHES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((dir) =>
    readdirSync(join(PATCHES, dir.name))
      .filter((file) => file.endsWith(".patch"))
      .map((file) => `${dir.name}/${file}`),
  )
  .sort();

test("there are patches to check (node-llama-cpp's and llama.cpp's)", () => {
  assert.ok(patches.some((patch) => patch.startsWith("node-llama-cpp/")), patches.join(", "));
  assert.ok(patches.some((patch) => patch.startsWith("llama.cpp/")), patches.join(", "));
});

for (const patch of patches) {
  test(`${patch}: a header of the four fields before the diff, and the diff still parses`, () => {
    const text = readFileSync(join(PATCHES, patch), "utf8");
    const lines = text.split("\n");
    const diffStart = lines.findIndex((line) => /^(diff |--- )/.test(line));
    assert.ok(diffStart > 0, "no diff, or nothing before it");
    const header = lines.slice(0, diffStart);
    const at = FIELDS.map((field) => header.findIndex((line) => line.startsWith(`${field} `)));
    for (const [i, field] of FIELDS.entries()) assert.ok(at[i]! >= 0, `no "${field}" line before the diff`);
    assert.deepEqual([...at].sort((a, b) => a - b), at, `the fields in the order ${FIELDS.join(" ")}`);
    assert.equal(at[0], 0, "the header starts the file");
    assert.equal(header.at(-1), "", "a blank line between the header and the diff");

    const files = parsePatch(text);
    assert.ok(files.length > 0, "parsePatch finds no file");
    for (const file of files) {
      assert.match(file.newFileName ?? "", /\S/, "a file without a name");
      assert.ok(file.hunks.length > 0, `${file.newFileName}: no hunk`);
    }
  });
}
