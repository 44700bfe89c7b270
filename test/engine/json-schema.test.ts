import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SchemaError, toGrammarSchema } from "../../src/engine/json-schema.ts";

describe("toGrammarSchema", () => {
  test("a described object allows no extra properties; an undescribed one is any object", () => {
    assert.deepEqual(toGrammarSchema({ type: "object", properties: { city: { type: "string" } }, required: ["city"] }), {
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city"],
      additionalProperties: false,
    });
    assert.deepEqual(toGrammarSchema({ type: "object" }), { type: "object", properties: {}, additionalProperties: true });
  });

  test("anyOf and type lists become oneOf; nullable adds null", () => {
    assert.deepEqual(toGrammarSchema({ anyOf: [{ type: "string" }, { type: "null" }] }), { oneOf: [{ type: "string" }, { type: "null" }] });
    assert.deepEqual(toGrammarSchema({ type: ["integer", "null"] }), { type: ["integer", "null"] });
    assert.deepEqual(toGrammarSchema({ type: "string", nullable: true, maxLength: 3 }), {
      oneOf: [{ type: "string", maxLength: 3 }, { type: "null" }],
    });
  });

  test("definitions and $refs are carried over as $defs", () => {
    assert.deepEqual(toGrammarSchema({ definitions: { P: { type: "number" } }, $ref: "#/definitions/P" }), {
      $ref: "#/$defs/P",
      $defs: { P: { type: "number" } },
    });
  });

  test("annotations and constraints a grammar cannot follow are dropped", () => {
    assert.deepEqual(toGrammarSchema({ $schema: "x", title: "T", type: "integer", minimum: 1, default: 2 }), { type: "integer" });
    assert.deepEqual(toGrammarSchema({ type: "string", format: "email", pattern: "@" }), { type: "string" });
    assert.deepEqual(toGrammarSchema({ type: "string", format: "date" }), { type: "string", format: "date" });
  });

  test("an empty schema or true means any JSON value", () => {
    assert.ok("oneOf" in toGrammarSchema({}));
    assert.deepEqual(toGrammarSchema({}), toGrammarSchema(true));
  });

  for (const [schema, path] of [
    [{ not: { type: "string" } }, "not"],
    [{ type: "object", properties: { a: { allOf: [{ type: "string" }, { minLength: 1 }] } } }, "properties.a.allOf"],
    [{ $ref: "https://example.com/x.json" }, "$ref"],
    [{ enum: [{ a: 1 }] }, "enum[0]"],
    [{ type: "decimal" }, "type"],
    ["string", ""],
  ] as const) {
    test(`rejects ${JSON.stringify(schema)} at '${path}'`, () => {
      assert.throws(() => toGrammarSchema(schema), (error: unknown) => error instanceof SchemaError && error.path === path);
    });
  }
});
