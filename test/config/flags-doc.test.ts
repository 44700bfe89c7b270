import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { FLAGS_DOC, flagsDoc, README, readmeWithTable } from "../../scripts/flags-doc.ts";
import { FLAGS } from "../../src/config/flags.ts";

describe("the flag table is the one source of the docs", () => {
  test("docs/flags.md is what src/config/flags.ts says (npx tsx scripts/flags-doc.ts regenerates it)", () => {
    assert.equal(readFileSync(FLAGS_DOC, "utf8"), flagsDoc());
    for (const flag of Object.keys(FLAGS)) assert.match(flagsDoc(), new RegExp(`\`--${flag}\``));
  });

  test("the README's short table is the flags marked main", () => {
    const readme = readFileSync(README, "utf8");
    assert.equal(readme, readmeWithTable(readme));
  });
});
